import { setMaxListeners } from 'node:events';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { Backoff } from '../../internal/backoff.js';
import { sleep } from '../../internal/signal.js';

/** Waits between attempts to publish a decided copy: 100 ms doubling up to 5 s, with jitter. */
const COPY_RETRY = new Backoff({ initialDelayMs: 100, maxDelayMs: 5000, factor: 2, jitter: 0.5 });

/**
 * How publishing a decided copy ended: `published` (the broker confirmed it), `stopped` (the consumer
 * is closing), or `refused`: the transport refused the copy itself (`InvalidArgumentError`, among them
 * `HeadersTooLargeError`), which no further attempt can change.
 */
export type CopyResult = 'published' | 'stopped' | { readonly refused: InvalidArgumentError };

/**
 * Publishes the copy of a decided outcome (a repeat, a dead letter) until the broker confirmed it, with
 * backoff between attempts, while the original stays unacked: a node being lost, a dead-letter queue not
 * reachable for a while, must not run the handler again. `onFailure` hears of each failed attempt and the
 * pause before the next. A copy the transport refuses as such is not tried again (`refused`): it would
 * hold its original, and a prefetch slot, forever.
 */
export async function publishUntilConfirmed(
  publish: () => Promise<void>,
  signal: AbortSignal,
  onFailure: (error: unknown, attempt: number, retryInMs: number) => void,
): Promise<CopyResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      await publish();
      return 'published';
    } catch (error) {
      if (error instanceof InvalidArgumentError) return { refused: error };
      if (signal.aborted) return 'stopped';
      const delay = COPY_RETRY.delayMs(attempt - 1);
      onFailure(error, attempt, delay);
      // Every delivery whose copy waits listens to the consumer's one signal: up to `prefetch` at once.
      setMaxListeners(0, signal);
      await sleep(delay, signal);
      if (signal.aborted) return 'stopped';
    }
  }
}
