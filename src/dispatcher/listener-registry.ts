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
  #count = 0;

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
  *keys(): IterableIterator<EventKey> {
    for (const [key, list] of this.#byKey) if (list.length > 0) yield key;
  }

  hasAny(): boolean {
    return this.#count > 0;
  }

  add(registration: Registration): void {
    const current = this.#byKey.get(registration.key) ?? NONE;
    // Insert after every registration that sorts before it: keeps the list ordered and stable. A plain
    // copy loop: spreading slices of a frozen array takes V8's slow path, and churn pays for it.
    let index = current.length;
    while (index > 0 && compareRegistrations(current[index - 1]!, registration) > 0) index--;
    const next = new Array<Registration>(current.length + 1);
    for (let i = 0; i < index; i++) next[i] = current[i]!;
    next[index] = registration;
    for (let i = index; i < current.length; i++) next[i + 1] = current[i]!;
    this.#byKey.set(registration.key, next);
    this.#count++;
    this.#invalidate(registration.key);
  }

  /** Removes one registration; returns false when it was not (or no longer) registered. */
  remove(registration: Registration): boolean {
    const current = this.#byKey.get(registration.key);
    if (current === undefined) return false;
    const index = current.indexOf(registration);
    if (index === -1) return false;
    // An emptied key keeps its (empty) entry: the next on() for it then does not grow the map again.
    const next = current.length === 1 ? NONE : new Array<Registration>(current.length - 1);
    for (let i = 0, j = 0; i < current.length; i++)
      if (i !== index) (next as Registration[])[j++] = current[i]!;
    this.#byKey.set(registration.key, next);
    this.#count--;
    registration.detach?.();
    this.#invalidate(registration.key);
    return true;
  }

  /** Drops the cached call orders that a change on `key` affects: its own, and its subclasses'. */
  #invalidate(key: EventKey): void {
    this.#lastClass = undefined;
    this.#lastList = NONE;
    if (typeof key === 'string') {
      this.#resolved.delete(key);
      return;
    }
    for (const cached of this.#resolved.keys()) {
      if (cached === key || (typeof cached === 'function' && isSubclass(cached, key))) {
        this.#resolved.delete(cached);
      }
    }
  }

  /** Own listeners of the class and of each base class, merged into one call order. */
  #collect(eventClass: EventKey): readonly Registration[] {
    const lists: (readonly Registration[])[] = [];
    for (
      let current: unknown = eventClass;
      typeof current === 'function' && current !== Function.prototype;
      current = Object.getPrototypeOf(current)
    ) {
      const own = this.#byKey.get(current);
      if (own !== undefined) lists.push(own);
    }
    if (lists.length === 0) return NONE;
    if (lists.length === 1) return lists[0]!;
    const merged = lists.flat();
    merged.sort(compareRegistrations); // the comparator breaks ties by registration order
    return merged;
  }
}

/** Whether `sub` extends `base`, by the prototype chain (not `instanceof`, which a class can override). */
function isSubclass(sub: EventKey & object, base: EventKey & object): boolean {
  const baseProto = (base as { prototype?: unknown }).prototype;
  const subProto = (sub as { prototype?: unknown }).prototype;
  return (
    typeof baseProto === 'object' &&
    baseProto !== null &&
    Object.prototype.isPrototypeOf.call(baseProto, subProto as object)
  );
}
