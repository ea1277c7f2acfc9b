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
  // As in the AMQP URI spec: no path means the default vhost "/", otherwise the decoded path.
  const vhost =
    parsed.pathname === '' || parsed.pathname === '/' ? '/' : decodeURIComponent(parsed.pathname.slice(1));
  const frameMax = parsed.searchParams.get('frame_max');
  return {
    protocol,
    hostname: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port === '' ? (protocol === 'amqps' ? 5671 : 5672) : Number(parsed.port),
    username: parsed.username === '' ? 'guest' : decodeURIComponent(parsed.username),
    password: parsed.password === '' ? 'guest' : decodeURIComponent(parsed.password),
    vhost,
    heartbeat: heartbeatSeconds,
    ...(frameMax !== null ? { frameMax: Number(frameMax) } : {}),
  };
}

/** The URL with its password replaced by `***` (also for URLs too broken to parse). */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
  }
}

/** Removes every given secret from a text (an error message from a lower layer, say). */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length >= 3) result = result.split(secret).join('***');
  }
  return result;
}
