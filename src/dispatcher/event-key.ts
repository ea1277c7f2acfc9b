import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { describeValue } from '../internal/options.js';
import { eventNameOf, type EventClass, type EventKey } from './event-types.js';

/**
 * What the dispatcher looks listeners up by, and checks at its boundary: the class of an event object,
 * or the name of a string-named event. Checked here, with errors that say what was passed, so that a
 * wrong argument never turns into "no listeners" or a `TypeError` deep inside the registry.
 */

/** The event class of a dispatched object: the key its listeners are found under. */
export function classOf(event: object): EventClass {
  if (typeof event !== 'object' || event === null) {
    throw new InvalidArgumentError(
      `dispatch: expected an event object or an event name, got ${describeValue(event)}`,
    );
  }
  const eventClass = (event as { constructor?: unknown }).constructor;
  if (typeof eventClass !== 'function') {
    throw new InvalidArgumentError(
      'dispatch: the event has no constructor (Object.create(null)?); dispatch a class instance or use dispatch(name, payload)',
    );
  }
  return eventClass;
}

/** Throws unless `key` is an event class or a non-empty event name. */
export function assertKey(key: unknown): asserts key is EventKey {
  if (typeof key === 'function' || (typeof key === 'string' && key !== '')) return;
  throw new InvalidArgumentError(
    `expected an event class or a non-empty event name, got ${describeValue(key)}`,
  );
}

/** The key as error messages name it (`on(OrderPlaced)`), whatever was passed in its place. */
export function describeKey(key: unknown): string {
  return typeof key === 'function' || typeof key === 'string' ? eventNameOf(key) : describeValue(key);
}
