import type { RepeatCounter } from './repeat-counter.js';

/** The key of `SynchronousRepeatCounter`'s increment (a symbol: not part of the public counter API). */
export const incrementNow: unique symbol = Symbol('tidings.repeatCounter.incrementNow');
/** The key of `SynchronousRepeatCounter`'s forget. */
export const forgetNow: unique symbol = Symbol('tidings.repeatCounter.forgetNow');

/**
 * A repeat counter that answers at once, in this process (`MemoryRepeatCounter`). The consumer asks it
 * directly: no promise, no deadline timer and no turn of the microtask queue per delivery, which were most
 * of what counting cost. Failures are thrown, as the asynchronous methods reject.
 */
export interface SynchronousRepeatCounter extends RepeatCounter {
  [incrementNow](queue: string, messageId: string): number;
  [forgetNow](queue: string, messageId: string): void;
}

/**
 * Whether the consumer may ask `counter` synchronously: it has the methods, and its `increment` and
 * `forget` are those of the class that defines them. A subclass that overrides either (to count
 * elsewhere, to log) is asked through its own methods, or the override would silently never run.
 */
export function isSynchronousRepeatCounter(counter: RepeatCounter): counter is SynchronousRepeatCounter {
  const candidate = counter as Partial<SynchronousRepeatCounter>;
  if (typeof candidate[incrementNow] !== 'function' || typeof candidate[forgetNow] !== 'function')
    return false;
  let owner: unknown = Object.getPrototypeOf(counter);
  while (owner !== null && typeof owner === 'object' && !Object.hasOwn(owner, incrementNow)) {
    owner = Object.getPrototypeOf(owner);
  }
  if (owner === null || typeof owner !== 'object') return false;
  const defining = owner as RepeatCounter;
  return counter.increment === defining.increment && counter.forget === defining.forget;
}
