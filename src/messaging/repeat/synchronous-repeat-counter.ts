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

export function isSynchronousRepeatCounter(counter: RepeatCounter): counter is SynchronousRepeatCounter {
  const candidate = counter as Partial<SynchronousRepeatCounter>;
  return typeof candidate[incrementNow] === 'function' && typeof candidate[forgetNow] === 'function';
}
