import type { OutboxStats } from '../messaging/outbox/outbox.js';
import { formatSeconds } from './durations.js';

/**
 * The progress line `tidings outbox relay` prints every interval:
 * `published 1200 (+300 in 5.0 s, 60.0/s), failed 0, pending 15, oldest 0.4 s`.
 *
 * Published and failed come from the relay's events and cost nothing. Pending and the age of the oldest
 * row come from `stats()`, which counts the table: on a large one that takes a while, so it runs in the
 * background, one at a time, and waits 19 times its last duration before the next (at most 5% of the
 * database's time); the line shows the latest answer, with its age when it is older than an interval.
 */
export class RelayProgress {
  published = 0;
  failed = 0;
  readonly #outbox: { stats(): Promise<OutboxStats> };
  readonly #everyMs: number;
  readonly #now: () => number;
  #since: { at: number; published: number };
  #stats: { value: OutboxStats; at: number } | undefined;
  #querying = false;
  #nextQueryAt = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(outbox: { stats(): Promise<OutboxStats> }, everyMs: number, now: () => number = Date.now) {
    this.#outbox = outbox;
    this.#everyMs = everyMs;
    this.#now = now;
    this.#since = { at: now(), published: 0 };
  }

  /** Writes a line every interval from now on. */
  start(write: (line: string) => void): void {
    this.#since = { at: this.#now(), published: this.published };
    void this.refresh();
    this.#timer = setInterval(() => {
      write(`${this.line()}\n`);
      void this.refresh();
    }, this.#everyMs);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** The line for the interval since the previous one. */
  line(): string {
    const now = this.#now();
    const added = this.published - this.#since.published;
    const seconds = Math.max(now - this.#since.at, 1) / 1000;
    this.#since = { at: now, published: this.published };
    let line =
      `published ${this.published} (+${added} in ${formatSeconds(seconds * 1000)}, ` +
      `${(added / seconds).toFixed(1)}/s), failed ${this.failed}`;
    if (this.#stats !== undefined) {
      const { value, at } = this.#stats;
      line += `, pending ${value.pending}, oldest ${formatSeconds(value.oldestPendingAgeMs)}`;
      if (now - at > this.#everyMs * 1.5) line += ` (as of ${formatSeconds(now - at)} ago)`;
    }
    return line;
  }

  /** Asks the outbox for pending and oldest, unless a query is running or the last one was slow. */
  refresh(): Promise<void> {
    const started = this.#now();
    if (this.#querying || started < this.#nextQueryAt) return Promise.resolve();
    this.#querying = true;
    return this.#outbox.stats().then(
      (value) => {
        const at = this.#now();
        this.#stats = { value, at };
        this.#nextQueryAt = at + 19 * (at - started);
        this.#querying = false;
      },
      () => {
        this.#querying = false; // the relay reports the database's trouble itself
      },
    );
  }
}
