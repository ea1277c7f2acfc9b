/** One call waiting in a `DeadlineQueue`. */
interface Waiting {
  readonly deadline: number;
  /** Cleared once the call settled (or timed out): the entry is then only waiting to be dropped. */
  reject: ((error: Error) => void) | undefined;
}

/**
 * Puts a deadline on many calls that share one timeout, with one timer instead of one per call.
 *
 * A consumer asks its repeat counter twice per message; a `setTimeout`, a `Promise.race` and a
 * `clearTimeout` per call were a tenth of the consumer's time at tens of thousands of messages a second.
 * All calls share the timeout, so their deadlines come in the order the calls were made: the queue is a
 * FIFO, and a single timer armed for its oldest entry is enough. Calls that settle in time are dropped
 * from the front as the next calls come, or when the timer fires.
 */
export class DeadlineQueue {
  readonly #timeoutMs: number;
  readonly #onTimeout: () => Error;
  #entries: Waiting[] = [];
  #head = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(timeoutMs: number, onTimeout: () => Error) {
    this.#timeoutMs = timeoutMs;
    this.#onTimeout = onTimeout;
  }

  /** Settles like `call`, unless the timeout passes first: then rejects with `onTimeout()`. */
  within<T>(call: Promise<T> | T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Waiting = { deadline: performance.now() + this.#timeoutMs, reject };
      this.#dropSettledFront();
      this.#entries.push(entry);
      this.#arm();
      // Promise.resolve: a counter written in JavaScript may answer with a plain value.
      Promise.resolve(call).then(
        (value) => {
          entry.reject = undefined;
          resolve(value);
        },
        (error: unknown) => {
          entry.reject = undefined;
          reject(error);
        },
      );
    });
  }

  /** Calls still waiting (settled ones not yet dropped included). */
  get size(): number {
    return this.#entries.length - this.#head;
  }

  /** Calls mostly settle in the order they were made: the settled front goes before it piles up. */
  #dropSettledFront(): void {
    const entries = this.#entries;
    while (this.#head < entries.length && entries[this.#head]!.reject === undefined) this.#head++;
    if (this.#head === entries.length) {
      this.#entries = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > entries.length) {
      this.#entries = entries.slice(this.#head);
      this.#head = 0;
    }
  }

  #arm(): void {
    if (this.#timer !== undefined) return;
    const first = this.#entries[this.#head];
    if (first === undefined) return;
    this.#timer = setTimeout(() => this.#expire(), Math.max(0, first.deadline - performance.now()));
    // A deadline must not keep the process alive: the call it watches does, if anything.
    this.#timer.unref();
  }

  #expire(): void {
    this.#timer = undefined;
    const now = performance.now(); // monotonic: a wall clock stepped back must not postpone deadlines
    const entries = this.#entries;
    while (this.#head < entries.length) {
      const entry = entries[this.#head]!;
      if (entry.reject !== undefined && entry.deadline > now) break;
      this.#head++;
      const reject = entry.reject;
      entry.reject = undefined;
      reject?.(this.#onTimeout());
    }
    this.#dropSettledFront();
    this.#arm();
  }
}
