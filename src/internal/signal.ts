/** Wakes everyone waiting for "something changed" (a publish settled, the broker unblocked…). */
export class Signal {
  #waiters: (() => void)[] = [];

  wait(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  notify(): void {
    if (this.#waiters.length === 0) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

/**
 * Settles like `promise`, unless `deadline` (epoch ms) passes first: then rejects with `onTimeout()`.
 */
export async function beforeDeadline<T>(
  promise: Promise<T>,
  deadline: number,
  onTimeout: () => Error,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Resolves after `ms`, or at once when `signal` aborts. With `keepAlive: false` the timer does not keep
 * the process alive.
 */
export function sleep(ms: number, signal?: AbortSignal, { keepAlive = true } = {}): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    if (!keepAlive) timer.unref();
    signal?.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
