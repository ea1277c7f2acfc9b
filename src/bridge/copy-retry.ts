import { setMaxListeners } from 'node:events';
import { Backoff } from '../internal/backoff.js';
import { sleep } from '../internal/signal.js';

/** Waits between attempts to publish a decided copy: 100 ms doubling up to 5 s, with jitter. */
const COPY_RETRY = new Backoff({ initialDelayMs: 100, maxDelayMs: 5000, factor: 2, jitter: 0.5 });

/**
 * Publishes the copy of a decided outcome (a repeat, a dead letter) until the broker confirmed it, with
 * backoff between attempts, while the original stays unacked: a node being lost, a dead-letter queue not
 * reachable for a while, must not run the handler again. `onFailure` hears of each failed attempt and the
 * pause before the next. Resolves `true` once published, `false` when `signal` aborted first (the
 * subscriber is closing).
 */
export async function publishUntilConfirmed(
  publish: () => Promise<void>,
  signal: AbortSignal,
  onFailure: (error: unknown, attempt: number, retryInMs: number) => void,
): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      await publish();
      return true;
    } catch (error) {
      if (signal.aborted) return false;
      const delay = COPY_RETRY.delayMs(attempt - 1);
      onFailure(error, attempt, delay);
      // Every delivery whose copy waits listens to the subscriber's one signal: up to `prefetch` at once.
      setMaxListeners(0, signal);
      await sleep(delay, signal);
      if (signal.aborted) return false;
    }
  }
}
