import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { redact } from '../../internal/redact.js';

/**
 * The query parameters of an AMQP URI (https://www.rabbitmq.com/docs/uri-query-parameters) that
 * tidings honours. A URL's parameter applies to that URL and wins over the transport's option: the URL
 * is what operations set per broker, the options are the defaults of every URL that says nothing.
 */
export interface AmqpUrlQuery {
  /** `heartbeat`, seconds (0 disables); wins over `heartbeatSeconds`. */
  heartbeat?: number;
  /** `frame_max`, bytes: 0 (no limit) or at least 4096. */
  frameMax?: number;
  /** `channel_max`: 0 (no limit) to 65535. */
  channelMax?: number;
  /** `connection_timeout`, milliseconds: the TCP connect and handshake timeout; wins over `connectTimeoutMs`. */
  connectionTimeoutMs?: number;
}

interface Rule {
  readonly key: keyof AmqpUrlQuery;
  readonly min: number;
  readonly max: number;
  readonly range: string;
  /** A value inside [min, max] that is still refused (frame_max 1 to 4095). */
  readonly refuse?: (value: number) => boolean;
}

const RULES: Record<string, Rule> = {
  heartbeat: { key: 'heartbeat', min: 0, max: 65_535, range: 'an integer of seconds from 0 to 65535' },
  frame_max: {
    key: 'frameMax',
    min: 0,
    max: 0xffffffff,
    range: '0 or an integer from 4096 to 4294967295',
    refuse: (value) => value !== 0 && value < 4096,
  },
  channel_max: { key: 'channelMax', min: 0, max: 65_535, range: 'an integer from 0 to 65535' },
  connection_timeout: {
    key: 'connectionTimeoutMs',
    min: 1,
    max: 2_147_483_647,
    range: 'an integer of milliseconds from 1 to 2147483647',
  },
};

/**
 * Reads and checks the query parameters of a parsed AMQP URL. An unknown or repeated parameter, or a
 * malformed value, is an `InvalidArgumentError` that names the parameter; `shownUrl` is the URL with its
 * password masked, and nothing of the password is echoed even if it ended up in the query.
 */
export function parseUrlQuery(
  params: URLSearchParams,
  shownUrl: string,
  secrets: readonly string[],
): AmqpUrlQuery {
  const query: AmqpUrlQuery = {};
  const seen = new Set<string>();
  // A password that slipped into the query (an unescaped "?" in it) is not shown either.
  const problem = (text: string) =>
    new InvalidArgumentError(redact(`AMQP URL ${shownUrl}: ${text}`, secrets));
  const echo = (text: string) => (text.length > 60 ? `${text.slice(0, 57)}...` : text);
  for (const [name, text] of params) {
    const rule = Object.hasOwn(RULES, name) ? RULES[name] : undefined;
    if (rule === undefined) {
      throw problem(
        `unknown query parameter "${echo(name)}" (tidings honours ${Object.keys(RULES).join(', ')}; ` +
          'TLS files and settings go in the tls option)',
      );
    }
    if (seen.has(name)) throw problem(`query parameter ${echo(name)} is given twice`);
    seen.add(name);
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < rule.min || value > rule.max || rule.refuse?.(value)) {
      throw problem(`${name} must be ${rule.range}, got "${echo(text)}"`);
    }
    query[rule.key] = value;
  }
  return query;
}
