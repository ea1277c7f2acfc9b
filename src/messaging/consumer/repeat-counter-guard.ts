import { DeadlineQueue } from '../../internal/deadline-queue.js';
import type { RepeatCounter } from '../repeat/repeat-counter.js';
import {
  forgetNow,
  incrementNow,
  isSynchronousRepeatCounter,
  type SynchronousRepeatCounter,
} from '../repeat/synchronous-repeat-counter.js';
import type { ConsumerWarning } from './consumer-events.js';

/**
 * A consumer's repeat counter behind a deadline: a call that fails or is slower than `timeoutMs`
 * counts as unavailable (the consumer then counts in the header alone). Warns once per outage, not
 * once per delivery, and again when the counter answers again.
 */
export class RepeatCounterGuard {
  /** Set while the repeat counter fails: when it started, and the failed calls since. */
  #outage: { since: number; failures: number } | undefined;
  /** The counter itself when it answers at once (no promise, no deadline needed). */
  readonly #synchronous: SynchronousRepeatCounter | undefined;
  readonly #deadlines: DeadlineQueue;

  constructor(
    private readonly counter: RepeatCounter,
    private readonly queue: string,
    timeoutMs: number,
    private readonly warn: (warning: ConsumerWarning) => void,
  ) {
    this.#synchronous = isSynchronousRepeatCounter(counter) ? counter : undefined;
    this.#deadlines = new DeadlineQueue(
      timeoutMs,
      () => new Error(`The repeat counter did not answer within ${timeoutMs} ms`),
    );
  }

  /**
   * Counts a delivery of the message; `undefined` when the counter is unavailable. A synchronous
   * counter's answer comes back as is, not wrapped in a promise.
   */
  count(messageId: string): number | undefined | Promise<number | undefined> {
    const synchronous = this.#synchronous;
    if (synchronous === undefined) return this.#countLater(messageId);
    try {
      const count = synchronous[incrementNow](this.queue, messageId);
      this.#answered();
      return count;
    } catch (error) {
      this.#failed(error);
      return undefined;
    }
  }

  /** Forgets a settled message's count; never throws (nor rejects). */
  forget(messageId: string): void | Promise<void> {
    const synchronous = this.#synchronous;
    if (synchronous === undefined) return this.#forgetLater(messageId);
    try {
      synchronous[forgetNow](this.queue, messageId);
      this.#answered();
    } catch (error) {
      this.#failed(error);
    }
  }

  async #countLater(messageId: string): Promise<number | undefined> {
    try {
      const count = await this.#deadlines.within(this.counter.increment(this.queue, messageId));
      this.#answered();
      return count;
    } catch (error) {
      this.#failed(error);
      return undefined;
    }
  }

  async #forgetLater(messageId: string): Promise<void> {
    try {
      await this.#deadlines.within(this.counter.forget(this.queue, messageId));
      this.#answered();
    } catch (error) {
      this.#failed(error);
    }
  }

  /**
   * Warns once when the counter stops answering: during an outage every delivery fails to count, and a
   * warning each (hundreds a second) would bury the logs. The failures are tallied for the
   * `repeat-counter-restored` warning.
   */
  #failed(error: unknown): void {
    if (this.#outage !== undefined) {
      this.#outage.failures++;
      return;
    }
    this.#outage = { since: Date.now(), failures: 1 };
    this.warn({
      code: 'repeat-counter-unavailable',
      message: `Repeat counter unavailable, counting attempts in the message header: ${(error as Error)?.message ?? String(error)}`,
      error,
    });
  }

  #answered(): void {
    const outage = this.#outage;
    if (outage === undefined) return;
    this.#outage = undefined;
    this.warn({
      code: 'repeat-counter-restored',
      message:
        `Repeat counter available again after ${outage.failures} failed call(s) over ` +
        `${Date.now() - outage.since} ms`,
      error: undefined,
    });
  }
}
