import type { EventKey } from './event-types.js';
import { compareRegistrations, type Registration } from './registration.js';

const NONE: readonly Registration[] = Object.freeze([]);

/**
 * Stores registrations per key and answers "which listeners, in which order, for an event of this
 * class?". Lists are copy-on-write: a change builds new arrays and never mutates one a running dispatch
 * may hold, which is what lets a dispatch keep the listener list it started with.
 *
 * The resolved list per concrete class (own listeners plus those of every base class, sorted) is cached
 * and the cache is dropped on any registration change, so a dispatch in steady state does no prototype
 * walk, no sorting and no allocation.
 */
export class ListenerRegistry {
  readonly #byKey = new Map<EventKey, readonly Registration[]>();
  readonly #resolved = new Map<EventKey, readonly Registration[]>();
  // A one-entry cache in front of the map: most code dispatches the same class many times in a row.
  #lastClass: unknown = undefined;
  #lastList: readonly Registration[] = NONE;

  /** The listeners for an event of this concrete class (or this name), in call order. */
  resolve(key: EventKey): readonly Registration[] {
    if (key === this.#lastClass) return this.#lastList;
    let list = this.#resolved.get(key);
    if (list === undefined) {
      list = typeof key === 'string' ? (this.#byKey.get(key) ?? NONE) : this.#collect(key);
      this.#resolved.set(key, list);
    }
    this.#lastClass = key;
    this.#lastList = list;
    return list;
  }

  /** Registrations made directly on this key (not inherited), in call order. */
  own(key: EventKey): readonly Registration[] {
    return this.#byKey.get(key) ?? NONE;
  }

  /** Every key that has registrations, in the order the keys were first used. */
  keys(): IterableIterator<EventKey> {
    return this.#byKey.keys();
  }

  hasAny(): boolean {
    return this.#byKey.size > 0;
  }

  add(registration: Registration): void {
    const current = this.#byKey.get(registration.key) ?? NONE;
    // Insert after every registration that sorts before it: keeps the list ordered and stable.
    let index = current.length;
    while (index > 0 && compareRegistrations(current[index - 1]!, registration) > 0) index--;
    this.#byKey.set(registration.key, [...current.slice(0, index), registration, ...current.slice(index)]);
    this.#invalidate();
  }

  /** Removes one registration; returns false when it was not (or no longer) registered. */
  remove(registration: Registration): boolean {
    const current = this.#byKey.get(registration.key);
    if (current === undefined) return false;
    const index = current.indexOf(registration);
    if (index === -1) return false;
    if (current.length === 1) this.#byKey.delete(registration.key);
    else this.#byKey.set(registration.key, [...current.slice(0, index), ...current.slice(index + 1)]);
    registration.detach?.();
    this.#invalidate();
    return true;
  }

  #invalidate(): void {
    this.#resolved.clear();
    this.#lastClass = undefined;
    this.#lastList = NONE;
  }

  /** Own listeners of the class and of each base class, merged into one call order. */
  #collect(eventClass: EventKey): readonly Registration[] {
    const lists: (readonly Registration[])[] = [];
    for (
      let current: unknown = eventClass;
      typeof current === 'function' && current !== Function.prototype;
      current = Object.getPrototypeOf(current)
    ) {
      const own = this.#byKey.get(current as EventKey);
      if (own !== undefined) lists.push(own);
    }
    if (lists.length === 0) return NONE;
    if (lists.length === 1) return lists[0]!;
    const merged = lists.flat();
    merged.sort(compareRegistrations); // the comparator breaks ties by registration order
    return merged;
  }
}
