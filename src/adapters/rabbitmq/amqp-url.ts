import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { passwordsOf, redactUrl } from '../../internal/redact.js';
import { parseUrlQuery } from './amqp-url-query.js';

/** What amqplib's `connect()` takes as its first argument (its `Options.Connect`). */
export interface AmqpConnectTarget {
  protocol: 'amqp' | 'amqps';
  hostname: string;
  port: number;
  username: string;
  password: string;
  vhost: string;
  heartbeat: number;
  frameMax?: number;
  channelMax?: number;
}

/**
 * Parses an `amqp://` or `amqps://` URL. Errors show the URL with its password masked: credentials
 * never appear in an error or a log line. The query parameters `heartbeat`, `frame_max`, `channel_max`
 * and `connection_timeout` are honoured and win over the options (amqp-url-query.ts); `heartbeatSeconds`
 * applies when the URL has no `heartbeat`.
 */
export function parseAmqpUrl(url: string, heartbeatSeconds: number): AmqpConnectTarget {
  return parseUrl(url, heartbeatSeconds).target;
}

/**
 * The arguments of amqplib's `connect()` for one URL: the target, and the socket options with the URL's
 * `connection_timeout`, if it has one, as the connect timeout.
 */
export function connectArguments(
  url: string,
  heartbeatSeconds: number,
  socketOptions: Readonly<Record<string, unknown>>,
): [AmqpConnectTarget, Record<string, unknown>] {
  const { target, connectionTimeoutMs } = parseUrl(url, heartbeatSeconds);
  return [
    target,
    connectionTimeoutMs === undefined
      ? { ...socketOptions }
      : { ...socketOptions, timeout: connectionTimeoutMs },
  ];
}

function parseUrl(
  url: string,
  heartbeatSeconds: number,
): { target: AmqpConnectTarget; connectionTimeoutMs: number | undefined } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidArgumentError(`Malformed AMQP URL ${redactUrl(url)}`);
  }
  const protocol = parsed.protocol.replace(/:$/, '');
  if (protocol !== 'amqp' && protocol !== 'amqps') {
    throw new InvalidArgumentError(`AMQP URL ${redactUrl(url)} must start with amqp:// or amqps://`);
  }
  if (parsed.hostname === '') throw new InvalidArgumentError(`AMQP URL ${redactUrl(url)} has no host`);
  const decode = (part: string, what: string): string => {
    try {
      return decodeURIComponent(part);
    } catch {
      throw new InvalidArgumentError(`AMQP URL ${redactUrl(url)} has a malformed %-escape in its ${what}`);
    }
  };
  // As in the AMQP URI spec: no path means the default vhost "/", otherwise the decoded path.
  const vhost =
    parsed.pathname === '' || parsed.pathname === '/' ? '/' : decode(parsed.pathname.slice(1), 'vhost');
  const password = parsed.password === '' ? 'guest' : decode(parsed.password, 'password');
  const query = parseUrlQuery(parsed.searchParams, redactUrl(url), passwordsOf([url]));
  const target: AmqpConnectTarget = {
    protocol,
    hostname: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port === '' ? (protocol === 'amqps' ? 5671 : 5672) : Number(parsed.port),
    username: parsed.username === '' ? 'guest' : decode(parsed.username, 'user name'),
    password,
    vhost,
    heartbeat: query.heartbeat ?? heartbeatSeconds,
  };
  if (query.frameMax !== undefined) target.frameMax = query.frameMax;
  if (query.channelMax !== undefined) target.channelMax = query.channelMax;
  return { target, connectionTimeoutMs: query.connectionTimeoutMs };
}

/**
 * The broker URLs of a comma-separated list (`AMQP_URL`, the CLI's `--url`): each trimmed, the empty
 * ones dropped, so that `"amqp://a,"`, `"amqp://a, amqp://b"` and `""` (no URL) are read alike by the
 * library and the CLI. `undefined` is no URL.
 */
export function amqpUrlsFrom(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url !== '');
}
