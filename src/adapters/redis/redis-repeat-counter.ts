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
  readonly #readiness: ClientReadiness;
  /** Calls in flight, so that `close()` can settle them at once. */
  readonly #pending = new Set<() => void>();
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
      this.#readiness.abort(new Error('the repeat counter was closed'));
      // disconnect() rather than quit(): every call was settled above, there is no reply to wait
      // for, and it also cancels a pending reconnect timer.
      if (this.#owned) this.#client.disconnect();
    }
    return Promise.resolve();
  }

  /**
   * Runs one command once the client is ready (see `ClientReadiness`), bounded by `timeoutMs`.
   * Every call settles: with the reply, at the deadline, or when the counter is closed.
   */
  #run<T>(
    operation: CounterOperation,
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
            : this.#readiness.ready().then(sendNow);
      } catch (error) {
        attempt = Promise.reject(error);
      }
      attempt.then(
        (value) => {
          if (settle()) resolve(value);
        },
        (error: unknown) => {
          const call = { endpoint: this.#endpoint, operation, key, timeoutMs: this.#timeoutMs };
          fail(toUnavailableError(error, { ...call, sent, closed: this.#closed }));
        },
      );
    });
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
