import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';

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
}

/**
 * Parses an `amqp://` or `amqps://` URL. Errors show the URL with its password masked: credentials
 * never appear in an error or a log line.
 */
export function parseAmqpUrl(url: string, heartbeatSeconds: number): AmqpConnectTarget {
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
  const frameMax = parsed.searchParams.get('frame_max');
  return {
    protocol,
    hostname: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port === '' ? (protocol === 'amqps' ? 5671 : 5672) : Number(parsed.port),
    username: parsed.username === '' ? 'guest' : decode(parsed.username, 'user name'),
    password: parsed.password === '' ? 'guest' : decode(parsed.password, 'password'),
    vhost,
    heartbeat: heartbeatSeconds,
    ...(frameMax !== null ? { frameMax: frameMaxOf(frameMax, url) } : {}),
  };
}

/** AMQP 0-9-1: `frame_max` is 0 (no limit) or at least 4096 bytes, and fits in 32 bits. */
function frameMaxOf(text: string, url: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || (value !== 0 && value < 4096) || value > 0xffffffff) {
    throw new InvalidArgumentError(
      `AMQP URL ${redactUrl(url)}: frame_max must be 0 or an integer from 4096 to 4294967295, got "${text}"`,
    );
  }
  return value;
}

/**
 * The URL with everything between the user name and the host replaced by `***`. Done on the text, not
 * on a parsed URL: in a broken URL the password can end up anywhere (`user:pw@host` parses as scheme
 * `user:`, a `/` in a password turns it into a host and a path), and it must not show there either.
 * Everything after the scheme up to the last `@` is user information; what follows its first `:` is
 * hidden.
 */
export function redactUrl(url: string): string {
  const at = url.lastIndexOf('@');
  if (at === -1) return url;
  const scheme = url.indexOf('://');
  const start = scheme !== -1 && scheme < at ? scheme + 3 : 0;
  const colon = url.indexOf(':', start);
  if (colon === -1 || colon > at) return url;
  return `${url.slice(0, colon)}:***${url.slice(at)}`;
}

/** Removes every given secret from a text (an error message from a lower layer, say). */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length >= 3) result = result.split(secret).join('***');
  }
  return result;
}
