import type { EventKey } from './event-types.js';
import { compareRegistrations, type Registration } from './registration.js';

const NONE: readonly Registration[] = Object.freeze([]);

/**
 * The registrations made directly on one key. A key's slot is created once and then changed in place:
 * registering looks the key up once, and a registration keeps its slot, so removing it looks nothing up.
 */
export class ListenerSlot {
  list: readonly Registration[] = NONE;
  /**
   * The one-element list of the key's last sole listener, emptied when that listener was removed: the
   * next `on()` on an empty key refills it instead of allocating (request-scoped listeners come and go
   * one at a time). Safe to refill although a dispatch may still hold it: a dispatch reads a list's
   * element before calling it and never again, and a one-element list has no element left to read
   * once its only listener is running (see `empty`).
   */
  spare: (Registration | undefined)[] | undefined = undefined;

  constructor(
    /** The registry it belongs to: what an unsubscribe function reaches through its registration. */
    readonly registry: ListenerRegistry,
    readonly key: EventKey,
  ) {}

  /** The list for an empty key holding only `registration`: the spare one refilled, if there is one. */
  refill(registration: Registration): readonly Registration[] {
    const spare = this.spare;
    if (spare === undefined) return [registration];
    spare[0] = registration;
    this.spare = undefined;
    return spare as Registration[];
  }

  /**
   * Removes the key's only listener (the request-scoped one): no search, no copy. An emptied key keeps
   * its slot: the next on() for it then does not grow the map again, and its list becomes the spare
   * for that on(). Emptied, so that the spare keeps no listener (and what it captured) alive. A
   * dispatch holding this list has read its one element already: it is calling that listener, or
   * awaiting it, and only moves past its end afterwards.
   */
  empty(): void {
    const spare = this.list as (Registration | undefined)[];
    spare[0] = undefined;
    this.spare = spare;
    this.list = NONE;
  }

  /** Removes one of several registrations (one in the list), copying the list. */
  drop(registration: Registration): void {
    const current = this.list;
    const index = current.indexOf(registration);
    const next = new Array<Registration>(current.length - 1);
    for (let i = 0, j = 0; i < current.length; i++) if (i !== index) next[j++] = current[i]!;
    this.list = next;
  }
}

/**
 * A copy of a non-empty list with `registration` inserted after every registration that sorts before
 * it: the list stays ordered, and stable. A plain copy loop: spreading slices of a frozen array takes
 * V8's slow path, and churn pays for it.
 */
function inserted(current: readonly Registration[], registration: Registration): Registration[] {
  let index = current.length;
  while (index > 0 && compareRegistrations(current[index - 1]!, registration) > 0) index--;
  const next = new Array<Registration>(current.length + 1);
  for (let i = 0; i < index; i++) next[i] = current[i]!;
  next[index] = registration;
  for (let i = index; i < current.length; i++) next[i + 1] = current[i]!;
  return next;
}

/**
 * Stores registrations per key and answers "which listeners, in which order, for an event of this
 * class?". Lists are copy-on-write: a change builds new arrays, which is what lets a dispatch keep the
 * listener list it started with. The one exception is a key's one-element list, emptied when its only
 * listener is removed and refilled by the next `on()` (`ListenerSlot.spare`): a dispatch holding it has
 * read its element already, so it cannot see the refill (call-listeners.ts). Each key has a slot
 * (`ListenerSlot`) that holds its list: `on()` + dispatch + `off()` costs two map lookups, not six.
 *
 * The list per concrete class merged from its own listeners and those of its base classes (sorted) is
 * cached, and the cache is dropped on any registration change; a one-entry cache in front answers the
 * class dispatched last. A dispatch in steady state does no sorting and no allocation. The caches take
 * class hierarchies as fixed: an event class whose prototype chain is changed (`Object.setPrototypeOf`)
 * after it was dispatched may keep reaching the listeners of its former base classes.
 */
export class ListenerRegistry {
  // TypeScript's `private`, not `#private`: this class is internal, and on the churn path every byte of
  // bytecode counts against V8's inlining budget (a `#method()` call is twice the bytes of a plain
  // one, with a brand check) — see benchmarks/README.md, "Within V8's inlining budget".
  private readonly byKey = new Map<EventKey, ListenerSlot>();
  /** Call orders merged from several classes of a hierarchy (sorted, so worth keeping), per class. */
  private merged: Map<EventKey, readonly Registration[]> | undefined = undefined;
  // A one-entry cache in front of the map: most code dispatches the same class many times in a row.
  private lastClass: unknown = undefined;
  private lastList: readonly Registration[] = NONE;
  /**
   * When every listener of `lastClass` is registered on one key, that key's slot: its list is the
   * answer, so a change to that slot alone updates the cache instead of dropping it (an `on()`/`off()`
   * per request, then dispatched, walks no class hierarchy). Any other slot changing drops the cache.
   */
  private lastSlot: ListenerSlot | undefined = undefined;
  /**
   * The slot `add()` used last: request-scoped listeners register on the same key again and again, and
   * a map lookup by class is a tenth of an `on()` + `off()`. Slots are never removed, so it cannot go stale.
   */
  private lastAdded: ListenerSlot | undefined = undefined;

  /** The listeners for an event of this concrete class (or this name), in call order. */
  resolve(key: EventKey): readonly Registration[] {
    return key === this.lastClass ? this.lastList : this.resolveAnew(key);
  }

  private resolveAnew(key: EventKey): readonly Registration[] {
    let list: readonly Registration[];
    if (typeof key === 'string') {
      this.lastSlot = this.byKey.get(key);
      list = this.lastSlot?.list ?? NONE;
    } else {
      this.lastSlot = undefined;
      list = this.merged?.get(key) ?? this.collect(key);
    }
    this.lastClass = key;
    this.lastList = list;
    return list;
  }

  /** Registrations made directly on this key (not inherited), in call order. */
  own(key: EventKey): readonly Registration[] {
    return this.byKey.get(key)?.list ?? NONE;
  }

  /** Every key that has registrations, in the order the keys were first used. */
  *keys(): IterableIterator<EventKey> {
    for (const [key, slot] of this.byKey) if (slot.list.length > 0) yield key;
  }

  /** Whether any key has a registration: a walk over the keys, kept out of `on()` and `off()`. */
  hasAny(): boolean {
    for (const slot of this.byKey.values()) if (slot.list.length > 0) return true;
    return false;
  }

  add(key: EventKey, registration: Registration): void {
    let slot = this.lastAdded;
    if (slot === undefined || slot.key !== key) slot = this.slotFor(key);
    const current = slot.list;
    slot.list = current.length === 0 ? slot.refill(registration) : inserted(current, registration);
    registration.slot = slot;
    this.changed(slot);
  }

  /** Removes one registration; returns false when it was not (or no longer) registered. */
  remove(registration: Registration): boolean {
    // A registration has a slot exactly while it is in that slot's list: a one-element list holds it.
    const slot = registration.slot;
    if (slot === undefined) return false;
    if (slot.list.length === 1) slot.empty();
    else slot.drop(registration);
    registration.slot = undefined;
    registration.extras?.detach?.();
    this.changed(slot);
    return true;
  }

  /** The key's slot, created on its first registration; remembered as the one `add()` used last. */
  private slotFor(key: EventKey): ListenerSlot {
    let slot = this.byKey.get(key);
    if (slot === undefined) {
      slot = new ListenerSlot(this, key);
      this.byKey.set(key, slot);
    }
    this.lastAdded = slot;
    return slot;
  }

  /**
   * Drops the cached call orders a change on `slot` affects: those of its key and of its subclasses.
   * All merged ones, in fact: finding the subclasses would walk every cached class, while rebuilding a
   * list is a short prototype walk, done on the next dispatch of a class. This keeps `on()` and `off()`
   * constant-time whatever the number of event classes (request-scoped listeners churn). The class
   * dispatched last keeps its cache when its listeners all live in this very slot (`lastSlot`).
   */
  private changed(slot: ListenerSlot): void {
    if (slot === this.lastSlot) this.lastList = slot.list;
    else this.forgetLast();
    if (typeof slot.key !== 'string') this.merged = undefined;
  }

  private forgetLast(): void {
    this.lastClass = undefined;
    this.lastList = NONE;
    this.lastSlot = undefined;
  }

  /**
   * Own listeners of the class and of each base class, merged into one call order. Only merged lists are
   * kept (sorting is worth saving); any other is one map lookup per level away, allocation-free. When
   * at most one slot of the hierarchy has listeners, that slot (or, with none, the class's own or its
   * nearest base's) becomes `lastSlot`.
   */
  private collect(eventClass: EventKey): readonly Registration[] {
    // Most classes have listeners on one level only: that list is the answer, with nothing allocated.
    let first: ListenerSlot | undefined;
    let more: (readonly Registration[])[] | undefined;
    let anySlot: ListenerSlot | undefined;
    for (
      let current: unknown = eventClass;
      typeof current === 'function' && current !== Function.prototype;
      current = Object.getPrototypeOf(current)
    ) {
      const slot = this.byKey.get(current);
      if (slot === undefined) continue;
      anySlot ??= slot;
      if (slot.list.length === 0) continue;
      if (first === undefined) first = slot;
      else (more ??= [first.list]).push(slot.list);
    }
    if (more === undefined) {
      this.lastSlot = first ?? anySlot;
      return first?.list ?? NONE;
    }
    const merged = more.flat();
    merged.sort(compareRegistrations); // the comparator breaks ties by registration order
    (this.merged ??= new Map()).set(eventClass, merged);
    return merged;
  }
}
