import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The one `AsyncLocalStorage` of the library. Node keeps every `AsyncLocalStorage` registered for the
 * life of the process, and every promise created afterwards pays for each of them: a storage per
 * `Flusher` or unit of work, in an application that creates one per request, leaked and slowed every
 * await of the process down (50 instances took `Publisher.send` from 30 to 80 µs of CPU).
 * Each instance keeps its value under its own key in the store instead.
 */
const storage = new AsyncLocalStorage<ReadonlyMap<object, unknown>>();

/**
 * An async-context value private to one instance (`owner`): what `AsyncLocalStorage` would give it, over
 * the library's single storage. A `run` inside another instance's `run` sees both values.
 */
export class InstanceContext<T> {
  readonly #owner: object;

  constructor(owner: object) {
    this.#owner = owner;
  }

  /** The value of the innermost `run` of this instance around the caller, if any. */
  getStore(): T | undefined {
    return storage.getStore()?.get(this.#owner) as T | undefined;
  }

  /** Runs `callback` with `value` as this instance's value (the others' values are kept). */
  run<R>(value: T, callback: () => R): R {
    const values = new Map(storage.getStore());
    values.set(this.#owner, value);
    return storage.run(values, callback);
  }
}
