import { Redis, type RedisOptions } from 'ioredis';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import {
  RepeatCounterUnavailableError,
  type RepeatCounterUnavailableReason,
} from '../../errors/repeat-counter-unavailable-error.js';
import { assertKnownOptions, describeValue, integerOption } from '../../internal/options.js';
import { DEFAULT_REPEAT_KEY_PREFIX } from '../../messaging/names.js';
import {
  redact,
  redisEndpointFromClient,
  redisEndpointFromUrl,
  sanitizeError,
  type RedisEndpoint,
} from './redis-endpoint.js';
import type { RepeatCounter } from '../../messaging/repeat/repeat-counter.js';
import { DEFAULT_REPEAT_TTL_MS, repeatKey } from '../../messaging/repeat/repeat-key.js';

/**
 * The part of an ioredis client (`Redis` or `Cluster`) the counter uses: declared structurally, so a
 * client from another copy of ioredis (another version in the user's tree) is accepted too.
 *
 * @inline
 */
export interface RedisClientLike {
  readonly status: string;
  /** Read only to name the endpoint in errors and to learn which password to redact. */
  readonly options?: object | undefined;
  defineCommand(name: string, definition: { lua: string; numberOfKeys?: number }): void;
  del(key: string): Promise<number>;
  connect(): Promise<void>;
  disconnect(): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'ready' | 'close' | 'end', listener: () => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'ready' | 'close' | 'end', listener: () => void): unknown;
}

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
}

/**
 * Increments the key and (re)sets its TTL in one atomic step, so a key can never be left without a
 * TTL (as an `INCR` followed by a separate `PEXPIRE` could, if the connection dropped between them).
 */
export const REPEAT_INCREMENT_LUA = `-- KEYS[1]: deliveries of one message on one queue; ARGV[1]: TTL in milliseconds
local count = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return count`;

/** The name under which the script is registered with `defineCommand` (EVALSHA, EVAL on NOSCRIPT). */
const INCREMENT_COMMAND = 'tidingsRepeatIncrement';

type ScriptedClient = RedisClientLike & {
  tidingsRepeatIncrement(key: string, ttlMs: number): Promise<unknown>;
};

/** Statuses in which the client is known to be disconnected and waiting to retry: fail at once. */
const DOWN_STATUSES = new Set(['reconnecting', 'close', 'disconnecting']);

const noop = (): void => {};

/**
 * Counts deliveries in Redis, so that a message whose handler crashes the process is counted too.
 *
 * One Lua script increments the key and sets its TTL atomically, on every delivery. Failures never
 * hang or crash a consumer: `increment` and `forget` settle within `timeoutMs`, rejecting with a
 * `RepeatCounterUnavailableError` when Redis is unreachable, slow or answers with an error, and the
 * client reconnects on its own in the background.
 *
 * @example
 * const counter = new RedisRepeatCounter({ url: process.env.REDIS_URL, timeoutMs: 300 });
 * const attempt = await counter.increment('billing.orders', messageId); // 1, 2, ...
 * await counter.forget('billing.orders', messageId);
 * await counter.close();
 *
 * @example
 * // A client you manage yourself: close() leaves it open.
 * const counter = new RedisRepeatCounter({ redis: new Redis(process.env.REDIS_URL) });
 */
export class RedisRepeatCounter implements RepeatCounter {
  /** Whether `close()` closes the client: only one the counter created from `url`. */
  readonly #owned: boolean;
  readonly #endpoint: RedisEndpoint;
  readonly #keyPrefix: string;
  readonly #ttlMs: number;
  readonly #timeoutMs: number;
  readonly #client: ScriptedClient;
  /** The last error of the client the counter owns: the cause when a call fails fast. */
  #lastError: unknown;
  #readyWait: { promise: Promise<void>; abort: (error: Error) => void } | undefined;
  /** Calls in flight, so that `close()` can settle them at once. */
  readonly #pending = new Set<() => void>();
  #closed = false;

  constructor(options: RedisRepeatCounterOptions) {
    const where = 'RedisRepeatCounter';
    assertKnownOptions(options, ['redis', 'url', 'keyPrefix', 'ttlMs', 'timeoutMs'], where);
    if (options === undefined || (options.redis === undefined) === (options.url === undefined)) {
      throw new InvalidArgumentError(`${where}: give exactly one of the options redis (a client) or url`);
    }
    this.#ttlMs = integerOption(options.ttlMs, DEFAULT_REPEAT_TTL_MS, `${where}: ttlMs`, 1);
    this.#timeoutMs = integerOption(options.timeoutMs, 500, `${where}: timeoutMs`, 1);
    const keyPrefix = options.keyPrefix ?? DEFAULT_REPEAT_KEY_PREFIX;
    if (typeof keyPrefix !== 'string') {
      throw new InvalidArgumentError(`${where}: keyPrefix must be a string, got ${describeValue(keyPrefix)}`);
    }
    this.#keyPrefix = keyPrefix;
    if (options.url !== undefined) {
      this.#endpoint = redisEndpointFromUrl(options.url, where);
      this.#owned = true;
      const client = new Redis(options.url, ownedClientOptions(this.#timeoutMs));
      // Without an 'error' listener ioredis logs every failed reconnect; with one, the last error
      // becomes the cause of the next fast failure instead.
      client.on('error', (error) => void (this.#lastError = error));
      this.#client = withScript(client);
    } else {
      const client = options.redis as unknown;
      if (!isClient(client)) {
        throw new InvalidArgumentError(
          `${where}: redis must be an ioredis client (Redis or Cluster), got ${describeValue(client)}`,
        );
      }
      this.#endpoint = redisEndpointFromClient(client);
      this.#owned = false;
      this.#client = withScript(client);
    }
  }

  async increment(queue: string, messageId: string): Promise<number> {
    const key = repeatKey(this.#keyPrefix, queue, messageId, 'RedisRepeatCounter.increment');
    const reply = await this.#run('increment', key, (client) =>
      client.tidingsRepeatIncrement(key, this.#ttlMs),
    );
    const count = typeof reply === 'string' || typeof reply === 'bigint' ? Number(reply) : reply;
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1) {
      throw this.#unavailable('increment', key, 'failed', `unexpected reply ${describeValue(reply)}`);
    }
    return count;
  }

  async forget(queue: string, messageId: string): Promise<void> {
    const key = repeatKey(this.#keyPrefix, queue, messageId, 'RedisRepeatCounter.forget');
    await this.#run('forget', key, (client) => client.del(key));
  }

  /**
   * Settles calls in flight (reason `closed`) and closes the client the counter owns; a client passed
   * as `redis` stays open. Afterwards no timer or socket of the counter keeps the process alive.
   */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      for (const abort of [...this.#pending]) abort();
      this.#readyWait?.abort(new Error('the repeat counter was closed'));
      // disconnect() rather than quit(): every call was settled above, there is no reply to wait
      // for, and it also cancels a pending reconnect timer.
      if (this.#owned) this.#client.disconnect();
    }
    return Promise.resolve();
  }

  /**
   * Runs one command once the client is ready, bounded by `timeoutMs`. Commands are only ever sent
   * to a `ready` client, never queued while disconnected: a queued `INCR` that ran minutes later,
   * after the consumer had given up on it, would count a delivery twice.
   */
  #run<T>(
    operation: 'increment' | 'forget',
    key: string,
    send: (client: ScriptedClient) => Promise<T>,
  ): Promise<T> {
    if (this.#closed) return Promise.reject(this.#unavailable(operation, key, 'closed', 'it is closed'));
    return new Promise<T>((resolve, reject) => {
      let sent = false;
      const settle = (): boolean => {
        if (!this.#pending.delete(abort)) return false;
        clearTimeout(timer);
        return true;
      };
      const fail = (error: RepeatCounterUnavailableError): void => {
        if (settle()) reject(error);
      };
      const abort = (): void => fail(this.#unavailable(operation, key, 'closed', 'it was closed'));
      const timer = setTimeout(() => {
        const what = sent ? 'no answer' : 'not connected';
        fail(this.#unavailable(operation, key, 'timeout', `${what} within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      // The deadline alone must never keep the process alive.
      timer.unref();
      this.#pending.add(abort);

      const sendNow = (client: ScriptedClient): Promise<T> => {
        sent = true;
        return send(client);
      };
      const client = this.#client;
      let attempt: Promise<T>;
      try {
        attempt =
          client.status === 'ready'
            ? sendNow(client) // the hot path: no extra promise hop
            : this.#ready().then(sendNow);
      } catch (error) {
        attempt = Promise.reject(error);
      }
      attempt.then(
        (value) => {
          if (settle()) resolve(value);
        },
        (error: unknown) => fail(this.#toUnavailable(operation, key, error, sent)),
      );
    });
  }

  /** Resolves with the client once it is ready; rejects at once if it is known to be down. */
  async #ready(): Promise<ScriptedClient> {
    const client = this.#client;
    const status = client.status;
    if (status === 'ready') return client;
    if (DOWN_STATUSES.has(status) || (status === 'end' && !this.#owned)) {
      throw new Disconnected(status, this.#lastError);
    }
    // 'wait' (lazy, never connected) or 'end' (an owned client that gave up): start connecting.
    if (status === 'wait' || status === 'end') client.connect().catch(noop);
    await this.#waitForReady(client);
    return client;
  }

  /** One shared wait per connection attempt, so concurrent calls add no listeners of their own. */
  #waitForReady(client: ScriptedClient): Promise<void> {
    if (this.#readyWait !== undefined) return this.#readyWait.promise;
    let lastError: unknown;
    let settle!: (error?: Error) => void;
    const promise = new Promise<void>((resolve, reject) => {
      const onReady = (): void => settle();
      const onError = (error: Error): void => void (lastError = error);
      const onClose = (): void => settle(new Disconnected('closed', lastError ?? this.#lastError));
      settle = (error?: Error) => {
        client.off('ready', onReady);
        client.off('error', onError);
        client.off('close', onClose);
        client.off('end', onClose);
        this.#readyWait = undefined;
        if (error === undefined) resolve();
        else reject(error);
      };
      client.on('ready', onReady);
      client.on('error', onError);
      client.on('close', onClose);
      client.on('end', onClose);
    });
    // Callers may all have timed out by the time it settles; the rejection is theirs, not unhandled.
    promise.catch(noop);
    this.#readyWait = { promise, abort: (error) => settle(error) };
    return promise;
  }

  #toUnavailable(
    operation: 'increment' | 'forget',
    key: string,
    error: unknown,
    sent: boolean,
  ): RepeatCounterUnavailableError {
    if (error instanceof RepeatCounterUnavailableError) return error;
    if (error instanceof Disconnected) {
      const what = this.#closed ? 'it was closed' : `not connected (client ${error.status})`;
      return this.#unavailable(operation, key, this.#closed ? 'closed' : 'disconnected', what, error.cause);
    }
    const reason = !sent ? 'disconnected' : classify(error);
    const what = { timeout: `no answer within ${this.#timeoutMs} ms`, disconnected: 'not connected' };
    return this.#unavailable(
      operation,
      key,
      reason,
      reason === 'failed' ? 'Redis failed' : what[reason],
      error,
    );
  }

  #unavailable(
    operation: 'increment' | 'forget',
    key: string,
    reason: RepeatCounterUnavailableReason,
    what: string,
    cause?: unknown,
  ): RepeatCounterUnavailableError {
    const secrets = this.#endpoint.secrets;
    const safeCause = cause === undefined ? undefined : sanitizeError(cause, secrets);
    const detail = safeCause === undefined ? '' : ` (${safeCause.message})`;
    const message = redact(
      `RedisRepeatCounter cannot ${operation} ${JSON.stringify(key)} on ${this.#endpoint.display}: ` +
        `${what}${detail}`,
      secrets,
    );
    return new RepeatCounterUnavailableError(
      message,
      reason,
      operation,
      safeCause === undefined ? undefined : { cause: safeCause },
    );
  }
}

/**
 * Settings of the client the counter owns, all chosen so that a consumer never waits on Redis for
 * longer than `timeoutMs`, never replays a command late, and recovers without help.
 */
function ownedClientOptions(timeoutMs: number): RedisOptions {
  // Long enough for a connection over a slow network, short enough to replace a hung one soon.
  const connectionTimeoutMs = Math.max(2 * timeoutMs, 1000);
  return {
    lazyConnect: true, // no socket until the first delivery
    enableOfflineQueue: false, // a command sent while disconnected fails instead of waiting
    maxRetriesPerRequest: 0, // a command in flight when the connection drops fails, and ...
    autoResendUnfulfilledCommands: false, // ... is not replayed on the next connection
    commandTimeout: timeoutMs, // ioredis settles the command itself, not only our deadline
    connectTimeout: connectionTimeoutMs,
    // A connection that answers nothing (hung server, half-open TCP) is destroyed and replaced.
    socketTimeout: connectionTimeoutMs,
    // Never give up; retry soon enough that the counter is back within ~2 s of Redis.
    retryStrategy: (times) => Math.min(50 * 2 ** times, 2000) + Math.floor(Math.random() * 100),
    // After a failover the old primary answers READONLY: reconnect to find the new one.
    reconnectOnError: (error) => error.message.startsWith('READONLY'),
    // How long disconnect() waits for the server to close the socket before destroying it. ioredis
    // keeps the process alive that long, even for a socket that is already gone (2 s by default).
    disconnectTimeout: 100,
    connectionName: 'tidings-repeat-counter',
  };
}

/**
 * Sorts a rejection of ioredis: its own timeout, a connection that dropped or was not writable (the
 * status had not caught up yet), or an error Redis answered with.
 */
function classify(error: unknown): 'timeout' | 'disconnected' | 'failed' {
  if (!(error instanceof Error)) return 'failed';
  if (error.message === 'Command timed out') return 'timeout';
  if (
    error.name === 'MaxRetriesPerRequestError' ||
    error.message.startsWith("Stream isn't writeable") ||
    error.message.startsWith('Connection is closed')
  ) {
    return 'disconnected';
  }
  return 'failed';
}

function isClient(value: unknown): value is RedisClientLike {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return ['defineCommand', 'del', 'connect', 'on', 'off'].every(
    (method) => typeof candidate[method] === 'function',
  );
}

function withScript(client: RedisClientLike): ScriptedClient {
  // Registering twice (several counters sharing one client) just replaces the same definition.
  client.defineCommand(INCREMENT_COMMAND, { lua: REPEAT_INCREMENT_LUA, numberOfKeys: 1 });
  return client as ScriptedClient;
}

/** The client is not connected; `cause` is its last connection error, if any. */
class Disconnected extends Error {
  constructor(
    readonly status: string,
    cause: unknown,
  ) {
    super(`client ${status}`, cause === undefined ? undefined : { cause });
  }
}
