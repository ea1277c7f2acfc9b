import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { Backoff, type BackoffOptions } from '../../internal/backoff.js';
import { assertKnownOptions, describeValue, integerOption, optionKeys } from '../../internal/options.js';
import { passwordsOf } from '../../internal/redact.js';
import { DEFAULT_PUBLISH_TIMEOUT_MS } from '../../messaging/defaults.js';
import { loggerOption, type Logger } from '../../messaging/logging/logger.js';
import { parseAmqpUrl } from './amqp-url.js';

/** TLS settings for `amqps://` URLs, handed to `tls.connect`. */
export interface AmqpTlsOptions {
  ca?: string | Buffer | (string | Buffer)[];
  cert?: string | Buffer;
  key?: string | Buffer;
  passphrase?: string;
  servername?: string;
  /** @defaultValue true */
  rejectUnauthorized?: boolean;
}

export interface AmqpTransportOptions {
  /**
   * One broker URL or several; reconnects go round them in turn. The query parameters `heartbeat`,
   * `frame_max`, `channel_max` and `connection_timeout` (ms) are honoured and, for that URL, win over
   * `heartbeatSeconds` and `connectTimeoutMs`; any other query parameter is refused.
   * @defaultValue 'amqp://guest:guest@127.0.0.1:5672'
   */
  url?: string | readonly string[];
  /**
   * The heartbeat proposed to the broker (RabbitMQ takes the lower non-zero of its own and this). A
   * connection silent for two heartbeats is taken for dead and replaced: a frozen network path is
   * noticed in about 10 s with the default. @defaultValue 5 (0 disables heartbeats)
   */
  heartbeatSeconds?: number;
  /** TCP_NODELAY on the socket: small frames (confirms, acks) go out at once. @defaultValue true */
  noDelay?: boolean;
  tls?: AmqpTlsOptions;
  /** Shown in the RabbitMQ management UI. @defaultValue 'tidings' */
  connectionName?: string;
  /** How long a publish may wait for a connection, a window slot and the broker's confirm. @defaultValue 10000 */
  publishTimeoutMs?: number;
  /** Unconfirmed publishes at most; further publishes wait for a slot (backpressure). @defaultValue 1000 */
  maxUnconfirmed?: number;
  /** TCP connect (and AMQP handshake) timeout of one attempt. @defaultValue 10000 */
  connectTimeoutMs?: number;
  /** Attempts of the first connection before `connect()` rejects; reconnects never give up. @defaultValue 10 */
  maxConnectAttempts?: number;
  /** Delays between connection attempts. @defaultValue `{ initialDelayMs: 100, maxDelayMs: 10000, factor: 2, jitter: 0.5 }` */
  reconnect?: BackoffOptions;
  /** How long `close()` waits for running handlers and pending publishes. @defaultValue 10000 */
  closeTimeoutMs?: number;
  /**
   * Also writes the transport's events to this logger (`console`, pino): a lost or blocked connection
   * as a warning (`transport-disconnected`, `transport-blocked`), an error no caller waits for as an
   * error (`transport-error`), connecting as info. Passwords are masked. The events stay as they are.
   * @defaultValue none: the events only
   */
  logger?: Logger;
}

/** The broker when no URL is given: a local RabbitMQ with its default user. */
export const DEFAULT_AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';

/** The default heartbeat: a silently dead connection is replaced within about 10 s (issue 10). */
export const DEFAULT_HEARTBEAT_SECONDS = 5;

const OPTION_KEYS = optionKeys<AmqpTransportOptions>({
  url: true,
  heartbeatSeconds: true,
  noDelay: true,
  tls: true,
  connectionName: true,
  publishTimeoutMs: true,
  maxUnconfirmed: true,
  connectTimeoutMs: true,
  maxConnectAttempts: true,
  reconnect: true,
  closeTimeoutMs: true,
  logger: true,
});

const TLS_OPTION_KEYS = optionKeys<AmqpTlsOptions>({
  ca: true,
  cert: true,
  key: true,
  passphrase: true,
  servername: true,
  rejectUnauthorized: true,
});

/** The options of an `AmqpTransport`, checked, with their defaults. */
export interface AmqpTransportSettings {
  readonly urls: string[];
  /** Passwords, decoded and as written in the URLs, longest first: removed from anything shown. */
  readonly secrets: string[];
  readonly heartbeatSeconds: number;
  /** amqplib's socket options (a URL's `connection_timeout` replaces `timeout` for that URL). */
  readonly socketOptions: Record<string, unknown>;
  readonly publishTimeoutMs: number;
  readonly maxUnconfirmed: number;
  readonly maxConnectAttempts: number;
  readonly backoff: Backoff;
  readonly closeTimeoutMs: number;
  readonly logger: Logger | undefined;
}

/** Checks the options (each bad one is an `InvalidArgumentError` naming it) and fills in the defaults. */
export function transportSettings(options: AmqpTransportOptions): AmqpTransportSettings {
  assertKnownOptions(options, OPTION_KEYS, 'AmqpTransport');
  const urls = options.url === undefined ? [DEFAULT_AMQP_URL] : [options.url].flat();
  if (urls.length === 0) throw new InvalidArgumentError('AmqpTransport: url must name at least one broker');
  const heartbeatSeconds = integerOption(
    options.heartbeatSeconds,
    DEFAULT_HEARTBEAT_SECONDS,
    'AmqpTransport: heartbeatSeconds',
    0,
    65_535,
  );
  for (const url of urls) {
    if (typeof url !== 'string') {
      throw new InvalidArgumentError(`AmqpTransport: url must be a string, got ${describeValue(url)}`);
    }
    parseAmqpUrl(url, heartbeatSeconds); // fail now, with the URL redacted, not at first use
  }
  // As written, decoded and encoded: whichever form a lower layer might echo is removed. Not the
  // default password: "guest" is no secret, and removing it would mangle "user guest" in messages.
  const secrets = passwordsOf(urls).filter((secret) => secret !== 'guest');
  // Spread into the socket options: a misspelt key (`cacert`) would be ignored without a word, and
  // the connection would then fail the TLS handshake for a reason nobody could see.
  assertKnownOptions(options.tls, TLS_OPTION_KEYS, 'AmqpTransport: tls');
  const connectionName = options.connectionName ?? 'tidings';
  if (typeof connectionName !== 'string') {
    throw new InvalidArgumentError(
      `AmqpTransport: connectionName must be a string, got ${describeValue(connectionName)}`,
    );
  }
  const noDelay = options.noDelay ?? true;
  if (typeof noDelay !== 'boolean') {
    throw new InvalidArgumentError(`AmqpTransport: noDelay must be a boolean, got ${describeValue(noDelay)}`);
  }
  return {
    urls,
    secrets,
    heartbeatSeconds,
    socketOptions: {
      timeout: integerOption(options.connectTimeoutMs, 10_000, 'AmqpTransport: connectTimeoutMs', 1),
      noDelay,
      clientProperties: { connection_name: connectionName },
      ...options.tls,
    },
    publishTimeoutMs: integerOption(
      options.publishTimeoutMs,
      DEFAULT_PUBLISH_TIMEOUT_MS,
      'AmqpTransport: publishTimeoutMs',
      1,
    ),
    maxUnconfirmed: integerOption(options.maxUnconfirmed, 1000, 'AmqpTransport: maxUnconfirmed', 1),
    maxConnectAttempts: integerOption(options.maxConnectAttempts, 10, 'AmqpTransport: maxConnectAttempts', 1),
    backoff: new Backoff(options.reconnect, 'AmqpTransport: reconnect'),
    closeTimeoutMs: integerOption(options.closeTimeoutMs, 10_000, 'AmqpTransport: closeTimeoutMs', 0),
    logger: loggerOption(options.logger, 'AmqpTransport'),
  };
}
