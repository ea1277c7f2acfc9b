import { RepeatCounterUnavailableError } from '../../errors/repeat-counter-unavailable-error.js';
import { assertKnownOptions, integerOption, optionKeys } from '../../internal/options.js';
import { DEFAULT_REPEAT_TTL_MS } from '../defaults.js';
import { DEFAULT_REPEAT_KEY_PREFIX } from '../names.js';
import type { RepeatCounter } from './repeat-counter.js';
import { forgetNow, incrementNow } from './synchronous-repeat-counter.js';
import { repeatKey } from './repeat-key.js';

export interface MemoryRepeatCounterOptions {
  /**
   * How long a message is remembered after its last delivery (each `increment` restarts it), in
   * milliseconds. A message whose `forget` never came is dropped after this time.
   * @defaultValue 86_400_000 (24 hours)
   */
  ttlMs?: number;
  /**
   * The most messages remembered at once. Beyond it the least recently delivered message is dropped,
   * so its next delivery counts from 1 again: the attempt header still bounds its repeats.
   * @defaultValue 100_000
   */
  maxKeys?: number;
}

const OPTION_KEYS = optionKeys<MemoryRepeatCounterOptions>({ ttlMs: true, maxKeys: true });

interface Entry {
  count: number;
  expiresAt: number;
}

/**
 * The embedded repeat counter: a `Map` in this process. Use it with the in-memory transport and in
 * tests; a broker-backed consumer wants `RedisRepeatCounter`, which survives the crash it is there
 * to count.
 *
 * Memory stays bounded without timers (nothing keeps the process alive): every `increment` moves its
 * key to the end of the map, and because all keys share one TTL the map is then ordered by expiry, so
 * expired keys are swept from the front, each exactly once, and `maxKeys` evicts from the front too.
 *
 * @example
 * const counter = new MemoryRepeatCounter({ ttlMs: 60 * 60 * 1000 });
 * await counter.increment('billing.orders', messageId); // 1
 * await counter.increment('billing.orders', messageId); // 2
 * await counter.forget('billing.orders', messageId);
 */
// Also a SynchronousRepeatCounter (its symbol-keyed methods), which the consumer detects at run time.
export class MemoryRepeatCounter implements RepeatCounter {
  // Insertion order = order of last increment = order of expiry (one TTL for all keys).
  readonly #entries = new Map<string, Entry>();
  readonly #ttlMs: number;
  readonly #maxKeys: number;
  /**
   * No key expires before this (a lower bound: removing keys only makes the earliest expiry later).
   * `#sweep` walks the map only once it has passed: a Map's deleted entries stay in its table until the
   * table is rebuilt, and walking from the front on every increment stepped over all of them (5.4 µs
   * of counting per fail-fail-succeed message with 300 in flight; 4.4 µs with this bound).
   */
  #nextExpiry = Number.POSITIVE_INFINITY;
  #closed = false;

  constructor(options: MemoryRepeatCounterOptions = {}) {
    assertKnownOptions(options, OPTION_KEYS, 'MemoryRepeatCounter');
    this.#ttlMs = integerOption(options.ttlMs, DEFAULT_REPEAT_TTL_MS, 'MemoryRepeatCounter: ttlMs', 1);
    this.#maxKeys = integerOption(options.maxKeys, 100_000, 'MemoryRepeatCounter: maxKeys', 1);
  }

  /** Messages currently remembered, including expired ones the next `increment` will sweep. */
  get size(): number {
    return this.#entries.size;
  }

  increment(queue: string, messageId: string): Promise<number> {
    return settled(() => this[incrementNow](queue, messageId));
  }

  forget(queue: string, messageId: string): Promise<void> {
    return settled(() => this[forgetNow](queue, messageId));
  }

  /** `increment`, answered at once (the consumer's fast path); throws instead of rejecting. @internal */
  [incrementNow](queue: string, messageId: string): number {
    const key = repeatKey(DEFAULT_REPEAT_KEY_PREFIX, queue, messageId, 'MemoryRepeatCounter.increment');
    this.#assertOpen('increment');
    const now = Date.now();
    const entry = this.#entries.get(key);
    const count = entry !== undefined && entry.expiresAt > now ? entry.count + 1 : 1;
    // Delete before set: re-inserting moves the key to the end, keeping the map ordered by expiry.
    this.#entries.delete(key);
    const expiresAt = now + this.#ttlMs;
    this.#entries.set(key, { count, expiresAt });
    if (expiresAt < this.#nextExpiry) this.#nextExpiry = expiresAt;
    if (now >= this.#nextExpiry || this.#entries.size > this.#maxKeys) this.#sweep(now);
    return count;
  }

  /** `forget`, at once; throws instead of rejecting. @internal */
  [forgetNow](queue: string, messageId: string): void {
    const key = repeatKey(DEFAULT_REPEAT_KEY_PREFIX, queue, messageId, 'MemoryRepeatCounter.forget');
    this.#assertOpen('forget');
    this.#entries.delete(key);
  }

  /** Drops every count; later calls reject with `RepeatCounterUnavailableError` (reason `closed`). */
  close(): Promise<void> {
    this.#closed = true;
    this.#entries.clear();
    this.#nextExpiry = Number.POSITIVE_INFINITY;
    return Promise.resolve();
  }

  /** Drops expired keys and those beyond `maxKeys`, from the front (the earliest expiry first). */
  #sweep(now: number): void {
    this.#nextExpiry = Number.POSITIVE_INFINITY;
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt > now && this.#entries.size <= this.#maxKeys) {
        this.#nextExpiry = entry.expiresAt;
        break;
      }
      this.#entries.delete(key);
    }
  }

  #assertOpen(operation: 'increment' | 'forget'): void {
    if (this.#closed) {
      throw new RepeatCounterUnavailableError(
        `Cannot ${operation}: the repeat counter is closed`,
        'closed',
        operation,
      );
    }
  }
}

/** Runs synchronous work behind the asynchronous interface: a throw becomes a rejection. */
function settled<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error);
  }
}
