import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { assertKnownOptions, describeValue, integerOption, optionKeys } from '../../internal/options.js';
import { DEFAULT_REPEAT_COUNTER_TIMEOUT_MS, DEFAULT_REPEAT_TTL_MS } from '../../messaging/defaults.js';
import { DEFAULT_REPEAT_KEY_PREFIX } from '../../messaging/names.js';
import { isRedisClient, type RedisClientLike } from './redis-client.js';
import { redisEndpointFromClient, redisEndpointFromUrl, type RedisEndpoint } from './redis-endpoint.js';

export interface RedisRepeatCounterOptions {
  /**
   * An ioredis client (`Redis` or `Cluster`) you created and manage. The counter uses it but never
   * closes it, and only sends commands while it is `ready`, so nothing waits in its offline queue.
   * Give either `redis` or `url`.
   * @defaultValue none
   */
  redis?: RedisClientLike;
  /**
   * A `redis://` or `rediss://` URL, e.g. `redis://:password@cache:6379/0`. The counter then owns its
   * client (it connects on the first call; `close()` closes it), tuned to fail fast. The password
   * never appears in errors. Give either `redis` or `url`.
   * @defaultValue none
   */
  url?: string;
  /**
   * Prepended to every key: `<keyPrefix><queue>:<messageId>`.
   * @defaultValue 'tidings:attempts:'
   */
  keyPrefix?: string;
  /**
   * How long a key lives after its last increment, in milliseconds; every increment sets it again.
   * Bounds the keys of messages whose `forget` never came (crash, outage).
   * @defaultValue 86_400_000 (24 hours)
   */
  ttlMs?: number;
  /**
   * The longest `increment` or `forget` may take, in milliseconds, connecting included. A slow or
   * unreachable Redis then costs a consumer at most this per delivery; an unreachable one usually
   * fails at once, since nothing is sent while the client is not connected.
   * @defaultValue 500
   */
  timeoutMs?: number;
  /**
   * The most keys one command carries: the deliveries counted in one turn of the event loop share one
   * script call, and the messages forgotten in one turn one `DEL`. `1` sends each key alone, which a
   * proxy that spreads keys over several servers (twemproxy, Envoy) needs: it would send a command of
   * many keys to the server of its first key. With an ioredis `Cluster` each key goes alone anyway.
   * @defaultValue 200
   */
  maxKeysPerCommand?: number;
}

/** A script call of 200 keys keeps Redis busy for well under a millisecond. */
const DEFAULT_MAX_KEYS_PER_COMMAND = 200;

const OPTION_KEYS = optionKeys<RedisRepeatCounterOptions>({
  redis: true,
  url: true,
  keyPrefix: true,
  ttlMs: true,
  timeoutMs: true,
  maxKeysPerCommand: true,
});

/** The options with every default applied and every value checked. */
export interface RedisRepeatCounterSettings {
  readonly keyPrefix: string;
  readonly ttlMs: number;
  readonly timeoutMs: number;
  readonly maxKeysPerCommand: number;
  /** Where the counter's Redis is, as errors may show it. */
  readonly endpoint: RedisEndpoint;
  /** A URL to create (and own) a client from, or the client the user manages. */
  readonly connection: { readonly url: string } | { readonly client: RedisClientLike };
}

/** Checks the options, naming the first bad one, and applies the defaults. */
export function redisRepeatCounterSettings(options: RedisRepeatCounterOptions): RedisRepeatCounterSettings {
  const where = 'RedisRepeatCounter';
  assertKnownOptions(options, OPTION_KEYS, where);
  if (options === undefined || (options.redis === undefined) === (options.url === undefined)) {
    throw new InvalidArgumentError(`${where}: give exactly one of the options redis (a client) or url`);
  }
  const ttlMs = integerOption(options.ttlMs, DEFAULT_REPEAT_TTL_MS, `${where}: ttlMs`, 1);
  const timeoutMs = integerOption(
    options.timeoutMs,
    DEFAULT_REPEAT_COUNTER_TIMEOUT_MS,
    `${where}: timeoutMs`,
    1,
  );
  const maxKeysPerCommand = integerOption(
    options.maxKeysPerCommand,
    DEFAULT_MAX_KEYS_PER_COMMAND,
    `${where}: maxKeysPerCommand`,
    1,
    10_000,
  );
  const keyPrefix = options.keyPrefix ?? DEFAULT_REPEAT_KEY_PREFIX;
  if (typeof keyPrefix !== 'string') {
    throw new InvalidArgumentError(`${where}: keyPrefix must be a string, got ${describeValue(keyPrefix)}`);
  }
  if (options.url !== undefined) {
    const endpoint = redisEndpointFromUrl(options.url, where);
    return { keyPrefix, ttlMs, timeoutMs, maxKeysPerCommand, endpoint, connection: { url: options.url } };
  }
  const client = options.redis as unknown;
  if (!isRedisClient(client)) {
    throw new InvalidArgumentError(
      `${where}: redis must be an ioredis client (Redis or Cluster), got ${describeValue(client)}`,
    );
  }
  const endpoint = redisEndpointFromClient(client);
  return { keyPrefix, ttlMs, timeoutMs, maxKeysPerCommand, endpoint, connection: { client } };
}
