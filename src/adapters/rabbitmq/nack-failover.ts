import { setMaxListeners } from 'node:events';
import { PublishNackedError } from '../../errors/publish-nacked-error.js';
import { Backoff } from '../../internal/backoff.js';
import { sleep } from '../../internal/signal.js';

/**
 * What a nack means on a RabbitMQ cluster, and what the transport does about it.
 *
 * After the node that led a quorum queue is lost, a confirm channel opened before the new leader was
 * elected may nack every publish for as long as that node stays down (seen on RabbitMQ 3.10), while a
 * channel opened after the election works. So a nack (or a confirm that never comes) marks its channel
 * stale: no new publish goes to it, it is closed once its last publish settled, and the next publish
 * opens a fresh channel — not at once, after a backoff that grows while fresh channels keep going stale.
 * The nacked message itself is published again, on the fresh channel, until it is confirmed or its
 * publish timeout is near: then the last `PublishNackedError` rejects it. Never dropped in silence.
 */

/** Waits between publishes of a nacked message: the quorum leader election takes 1–4 s. */
const NACK_RETRY = new Backoff({ initialDelayMs: 50, maxDelayMs: 1000, factor: 2, jitter: 0.5 });

/**
 * Settles like `first`, except that a `PublishNackedError` publishes the message again (`again`, given
 * the time left) after a backoff, as long as the deadline allows.
 */
export function retryNacked(
  first: Promise<void>,
  deadline: number,
  again: (remainingMs: number) => Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  return first.catch((error: unknown) => retryAfterNack(error, deadline, again, signal));
}

/**
 * What `retryNacked` does once its first publish failed with `error`: rejects with it unless it is a
 * `PublishNackedError`, else publishes again after a backoff while the deadline allows. (For a caller
 * that handles the first failure itself: no promise per publish beyond the publish's own.)
 */
export async function retryAfterNack(
  error: unknown,
  deadline: number,
  again: (remainingMs: number) => Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    if (!(error instanceof PublishNackedError)) throw error;
    const delay = NACK_RETRY.delayMs(attempt);
    if (signal.aborted || Date.now() + delay >= deadline) throw error;
    // Every publish waiting here listens to the transport's one signal: hundreds at once are normal.
    setMaxListeners(0, signal);
    await sleep(delay, signal);
    if (signal.aborted) throw error;
    try {
      return await again(Math.max(1, deadline - Date.now()));
    } catch (next) {
      error = next;
    }
  }
}

/**
 * How long without a stale channel before `StaleChannelPacer` starts over. Module-level rather than a
 * static field: a class that names itself inside its body is renamed by the ES module bundle.
 */
const QUIET_MS = 30_000;

/**
 * Paces the fresh channels that replace stale ones: the first opens at once, each further one waits
 * longer (100 ms doubling up to 1 s, with jitter) while they keep going stale; after QUIET_MS without a
 * stale channel the pace starts over.
 */
export class StaleChannelPacer {
  readonly #backoff = new Backoff({ initialDelayMs: 100, maxDelayMs: 1000, factor: 2, jitter: 0.5 });
  #staleInARow = 0;
  #lastStaleAt = 0;
  /** Channels marked stale since the transport started (for figures and tests). */
  total = 0;

  /** A channel went stale now. */
  stale(): void {
    const now = Date.now();
    if (now - this.#lastStaleAt > QUIET_MS) this.#staleInARow = 0;
    this.#staleInARow++;
    this.#lastStaleAt = now;
    this.total++;
  }

  /** How long to wait before opening the next channel. */
  delayMs(): number {
    if (this.#staleInARow <= 1) return 0;
    if (Date.now() - this.#lastStaleAt > QUIET_MS) return 0;
    const due = this.#lastStaleAt + this.#backoff.delayMs(this.#staleInARow - 2);
    return Math.max(0, due - Date.now());
  }
}
