import { beforeDeadline } from './signal.js';

/**
 * A question asked of a database or broker on a schedule (a health probe, a metrics collection) that
 * must not pile up while it does not answer: at most one call runs at a time — a caller that comes while
 * one is running waits for that one rather than adding another pool waiter or channel — and each wait is
 * bounded by `timeoutMs` (the call itself goes on; the next caller after it settles starts a new one).
 */
export function singleFlight<T>(ask: () => Promise<T>, timeoutMs: number, what: string): () => Promise<T> {
  let running: Promise<T> | undefined;
  return () => {
    if (running === undefined) {
      const started = ask();
      running = started;
      const done = (): void => {
        if (running === started) running = undefined;
      };
      started.then(done, done);
    }
    return beforeDeadline(
      running,
      Date.now() + timeoutMs,
      () => new Error(`${what} did not answer within ${timeoutMs} ms`),
    );
  };
}
