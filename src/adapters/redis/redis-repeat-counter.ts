import { Redis } from 'ioredis';
import type {
  RepeatCounterUnavailableError,
  RepeatCounterUnavailableReason,
} from '../../errors/repeat-counter-unavailable-error.js';
import { describeValue } from '../../internal/options.js';
import type { RepeatCounter } from '../../messaging/repeat/repeat-counter.js';
import { repeatKey } from '../../messaging/repeat/repeat-key.js';
import { ClientReadiness } from './client-readiness.js';
import { withIncrementScript, type ScriptedClient } from './increment-script.js';
import { KeyBatch } from './key-batch.js';
import { ownedClientOptions } from './owned-client-options.js';
import type { RedisEndpoint } from './redis-endpoint.js';
import {
  redisRepeatCounterSettings,
  type RedisRepeatCounterOptions,
} from './redis-repeat-counter-options.js';
import { toUnavailableError, unavailableError, type CounterOperation } from './unavailable-error.js';

/**
 * Counts deliveries in Redis, so that a message whose handler crashes the process is counted too.
 *
 * One Lua script increments the key and sets its TTL atomically, on every delivery; the deliveries
 * counted in one turn of the event loop share one call of it, and the messages forgotten in one turn one
 * `DEL` (one key per command on a Redis Cluster, whose keys live in different slots). Failures never
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
  readonly #readiness: ClientReadiness;
  /** Calls in flight, so that `close()` can settle them at once. */
  readonly #pending = new Set<() => void>();
  readonly #increments: KeyBatch<number>;
  readonly #forgets: KeyBatch<void>;
  #closed = false;

  constructor(options: RedisRepeatCounterOptions) {
    const settings = redisRepeatCounterSettings(options);
    this.#keyPrefix = settings.keyPrefix;
    this.#ttlMs = settings.ttlMs;
    this.#timeoutMs = settings.timeoutMs;
    this.#endpoint = settings.endpoint;
    const { connection } = settings;
    this.#owned = 'url' in connection;
    const client =
      'url' in connection
        ? new Redis(connection.url, ownedClientOptions(this.#timeoutMs))
        : connection.client;
    this.#client = withIncrementScript(client);
    this.#readiness = new ClientReadiness(this.#client, this.#owned);
    // A Cluster sends a command to the node of its keys' slot, and refuses keys of several slots.
    const cluster = (client as { isCluster?: unknown }).isCluster === true;
    const maxKeys = cluster ? 1 : settings.maxKeysPerCommand;
    this.#increments = new KeyBatch<number>((keys) => this.#incrementAll(keys), maxKeys);
    this.#forgets = new KeyBatch<void>((keys) => this.#forgetAll(keys), maxKeys);
  }

  async increment(queue: string, messageId: string): Promise<number> {
    const key = repeatKey(this.#keyPrefix, queue, messageId, 'RedisRepeatCounter.increment');
    if (this.#closed) throw this.#unavailable('increment', key, 'closed', 'it is closed');
    // Redis runs the calls in the order they were made: a forget of this turn goes before this.
    this.#forgets.flush();
    return this.#increments.add(key);
  }

  async forget(queue: string, messageId: string): Promise<void> {
    const key = repeatKey(this.#keyPrefix, queue, messageId, 'RedisRepeatCounter.forget');
    if (this.#closed) throw this.#unavailable('forget', key, 'closed', 'it is closed');
    this.#increments.flush();
    return this.#forgets.add(key);
  }

  /** One script call for the keys of a turn: each key's count, or its own error. */
  async #incrementAll(keys: readonly string[]): Promise<(number | RepeatCounterUnavailableError)[]> {
    let replies: unknown;
    try {
      replies = await this.#run((client) =>
        client.tidingsRepeatIncrementMany(keys.length, ...keys, this.#ttlMs),
      );
    } catch (failure) {
      return keys.map((key) => this.#failed('increment', key, failure));
    }
    // One reply per key, in order; any other shape says nothing about which count is whose.
    if (!Array.isArray(replies) || replies.length !== keys.length) {
      const what = `unexpected reply ${describeValue(replies)}`;
      return keys.map((key) => this.#unavailable('increment', key, 'failed', what));
    }
    return keys.map((key, index) => {
      const reply: unknown = replies[index];
      // The script answers a key Redis refused with `{ error }`: that key alone fails.
      if (Array.isArray(reply)) {
        const refusal = new Error(String(reply[0]));
        return unavailableError(this.#endpoint, 'increment', key, 'failed', 'Redis failed', refusal);
      }
      // A client made with `stringNumbers` gives integers as text.
      const count = typeof reply === 'string' || typeof reply === 'bigint' ? Number(reply) : reply;
      if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1) {
        return this.#unavailable('increment', key, 'failed', `unexpected reply ${describeValue(reply)}`);
      }
      return count;
    });
  }

  /** One `DEL` for the keys of a turn. */
  async #forgetAll(keys: readonly string[]): Promise<(undefined | RepeatCounterUnavailableError)[]> {
    try {
      await this.#run((client) => client.del(...keys));
    } catch (failure) {
      return keys.map((key) => this.#failed('forget', key, failure));
    }
    return keys.map(() => undefined);
  }

  /**
   * Settles calls in flight (reason `closed`) and closes the client the counter owns; a client passed
   * as `redis` stays open. Afterwards no timer or socket of the counter keeps the process alive.
   */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      for (const abort of [...this.#pending]) abort();
      this.#readiness.abort(new Error('the repeat counter was closed'));
      // disconnect() rather than quit(): every call was settled above, there is no reply to wait
      // for, and it also cancels a pending reconnect timer.
      if (this.#owned) this.#client.disconnect();
    }
    return Promise.resolve();
  }

  /**
   * Runs one command once the client is ready (see `ClientReadiness`), bounded by `timeoutMs`.
   * Every call settles: with the reply, at the deadline, or when the counter is closed. Rejects with a
   * `CallFailure`, which `#failed` tells per key.
   */
  #run<T>(send: (client: ScriptedClient) => Promise<T>): Promise<T> {
    // Reached when the calls were made before close() and their turn ended after it.
    if (this.#closed) return Promise.reject(new CallFailure('closed', 'it was closed'));
    return new Promise<T>((resolve, reject) => {
      let sent = false;
      const settle = (): boolean => {
        if (!this.#pending.delete(abort)) return false;
        clearTimeout(timer);
        return true;
      };
      const fail = (failure: CallFailure): void => {
        if (settle()) reject(failure);
      };
      const abort = (): void => fail(new CallFailure('closed', 'it was closed'));
      const timer = setTimeout(() => {
        const what = sent ? 'no answer' : 'not connected';
        fail(new CallFailure('timeout', `${what} within ${this.#timeoutMs} ms`));
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
            : this.#readiness.ready().then(sendNow);
      } catch (error) {
        attempt = Promise.reject(error);
      }
      attempt.then(
        (value) => {
          if (settle()) resolve(value);
        },
        (error: unknown) => fail(new CallFailure(undefined, '', error, sent, this.#closed)),
      );
    });
  }

  /** What a failed call (`#run`) means for one of its keys. */
  #failed(operation: CounterOperation, key: string, failure: unknown): RepeatCounterUnavailableError {
    if (failure instanceof CallFailure && failure.reason !== undefined) {
      return this.#unavailable(operation, key, failure.reason, failure.what);
    }
    const error = failure instanceof CallFailure ? failure.error : failure;
    const sent = failure instanceof CallFailure ? failure.sent : true;
    const closed = failure instanceof CallFailure ? failure.closed : this.#closed;
    const call = { endpoint: this.#endpoint, operation, key, timeoutMs: this.#timeoutMs };
    return toUnavailableError(error, { ...call, sent, closed });
  }

  #unavailable(
    operation: CounterOperation,
    key: string,
    reason: RepeatCounterUnavailableReason,
    what: string,
  ): RepeatCounterUnavailableError {
    return unavailableError(this.#endpoint, operation, key, reason, what);
  }
}

/**
 * Why a command failed, before it is told per key (never shown as such): the counter's own reason
 * (closed, timed out), or the client's error with whether the command had been sent and the counter
 * closed by then.
 */
class CallFailure extends Error {
  constructor(
    readonly reason: 'closed' | 'timeout' | undefined,
    readonly what: string,
    readonly error?: unknown,
    readonly sent = false,
    readonly closed = false,
  ) {
    super('A RedisRepeatCounter command failed');
  }
}
