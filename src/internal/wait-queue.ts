interface Waiter {
  resolve(): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout | undefined;
  done: boolean;
}

/**
 * A first-in, first-out line of callers waiting for a resource (a slot in the publish window). Each
 * `wakeOne()` admits the oldest caller still waiting; callers whose deadline passed leave the line
 * without swallowing a wake-up meant for the next one.
 */
export class WaitQueue {
  #waiters: Waiter[] = [];
  #head = 0;

  get size(): number {
    return this.#waiters.length - this.#head;
  }

  /** Resolves when woken; rejects with `onTimeout()` if `deadline` (epoch ms) passes first. */
  wait(deadline: number, onTimeout: () => Error): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: undefined, done: false };
      waiter.timer = setTimeout(
        () => {
          waiter.done = true;
          reject(onTimeout());
        },
        Math.max(0, deadline - Date.now()),
      );
      this.#waiters.push(waiter);
    });
  }

  /** Wakes the oldest live waiter; returns false when nobody was waiting. */
  wakeOne(): boolean {
    while (this.#head < this.#waiters.length) {
      const waiter = this.#waiters[this.#head++]!;
      if (waiter.done) continue;
      waiter.done = true;
      clearTimeout(waiter.timer);
      waiter.resolve();
      this.#compact();
      return true;
    }
    this.#compact();
    return false;
  }

  /** Rejects everyone still waiting (the transport is closing). */
  rejectAll(error: Error): void {
    for (let index = this.#head; index < this.#waiters.length; index++) {
      const waiter = this.#waiters[index]!;
      if (waiter.done) continue;
      waiter.done = true;
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    this.#waiters = [];
    this.#head = 0;
  }

  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#waiters.length) {
      this.#waiters = this.#waiters.slice(this.#head);
      this.#head = 0;
    }
  }
}
