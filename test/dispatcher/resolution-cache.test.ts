// The registry caches the slot it added to last (`#lastAdded`) and what it resolved for the class
// dispatched last, and keeps the latter across a change to the one slot all of that class's listeners
// live in (ListenerRegistry's `#lastSlot`). These tests drive random sequences of on / off / dispatch
// over a class hierarchy and string names, and check every dispatch against a model written without any
// cache: the listeners of the class and of each base class, higher priority first, then in registration
// order.
import { describe, expect, it } from 'vitest';
import { EventDispatcher } from '../../src/index.js';

class Base {}
class Middle extends Base {}
class Leaf extends Middle {}
class Other {}

const CLASSES = [Base, Middle, Leaf, Other] as const;
const NAMES = ['a.b', 'c.d'] as const;
type Key = (typeof CLASSES)[number] | (typeof NAMES)[number];
const KEYS: readonly Key[] = [...CLASSES, ...NAMES];

interface Registered {
  readonly id: number;
  readonly key: Key;
  readonly priority: number;
  readonly off: () => void;
}

/** A small deterministic generator (mulberry32), so that a failure can be replayed from its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What a dispatch of `key` must call, from the registrations alone. */
function expected(registered: readonly Registered[], key: Key): number[] {
  const reaches = (on: Key): boolean =>
    typeof key === 'string' || typeof on === 'string'
      ? on === key
      : on === key || key.prototype instanceof on;
  return registered
    .filter((registration) => reaches(registration.key))
    .sort((a, b) => b.priority - a.priority || a.id - b.id)
    .map((registration) => registration.id);
}

describe('the resolved-listener cache', () => {
  it('a listener on a class dispatched before joins those of its base class (the class had emptied its own)', () => {
    const dispatcher = new EventDispatcher();
    const calls: string[] = [];
    dispatcher.on(Leaf, () => void calls.push('leaf, removed'))(); // Leaf has a registry entry, empty
    dispatcher.on(Base, () => void calls.push('base'));
    dispatcher.dispatchSync(new Leaf());
    dispatcher.on(Leaf, () => void calls.push('leaf'));
    calls.length = 0;
    dispatcher.dispatchSync(new Leaf());
    expect(calls).toEqual(['base', 'leaf']);
  });

  it('a listener on a base class joins those of a class dispatched before', () => {
    const dispatcher = new EventDispatcher();
    const calls: string[] = [];
    dispatcher.on(Leaf, () => void calls.push('leaf'));
    dispatcher.dispatchSync(new Leaf());
    const off = dispatcher.on(Middle, () => void calls.push('middle'), { priority: 1 });
    calls.length = 0;
    dispatcher.dispatchSync(new Leaf());
    expect(calls).toEqual(['middle', 'leaf']);
    off();
    calls.length = 0;
    dispatcher.dispatchSync(new Leaf());
    expect(calls).toEqual(['leaf']);
  });

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) {
    it(`matches a model without cache over 1,000 random operations (seed ${seed})`, () => {
      const next = random(seed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
      const dispatcher = new EventDispatcher<Record<string, unknown>>();
      let registered: Registered[] = [];
      let nextId = 0;
      const called: number[] = [];
      let lastKey: Key | undefined;
      for (let step = 0; step < 1000; step++) {
        const roll = next();
        if (roll < 0.35) {
          const id = nextId++;
          const key = pick(KEYS);
          const priority = pick([0, 0, 0, 5, -5]);
          const listener = (): void => void called.push(id);
          const off =
            typeof key === 'string'
              ? dispatcher.on(key, listener, { priority })
              : dispatcher.on(key, listener, { priority });
          registered.push({ id, key, priority, off });
        } else if (roll < 0.6 && registered.length > 0) {
          const victim = pick(registered);
          victim.off();
          registered = registered.filter((registration) => registration !== victim);
        } else {
          // Dispatch the same key several times in a row now and then: the cached path.
          const key = next() < 0.5 && lastKey !== undefined ? lastKey : pick(KEYS);
          lastKey = key;
          called.length = 0;
          if (typeof key === 'string') dispatcher.dispatchSync(key, undefined);
          else dispatcher.dispatchSync(new key());
          expect(called, `step ${step}, dispatching ${typeof key === 'string' ? key : key.name}`).toEqual(
            expected(registered, key),
          );
        }
      }
    });
  }
});
