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
  // The errors are built elsewhere: a dispatch inlines this function, and V8's inlining budget is bytes.
  if (typeof event !== 'object' || event === null) throw notAnEvent(event);
  const eventClass = (event as { constructor?: unknown }).constructor;
  if (typeof eventClass !== 'function') throw notAnEvent(event);
  return eventClass;
}

function notAnEvent(event: unknown): InvalidArgumentError {
  if (typeof event !== 'object' || event === null) {
    return new InvalidArgumentError(
      `dispatch: expected an event object or an event name, got ${describeValue(event)}`,
    );
  }
  return new InvalidArgumentError(
    'dispatch: the event has no constructor (Object.create(null)?); dispatch a class instance or use dispatch(name, payload)',
  );
}

/** Whether `key` is an event class or a non-empty event name. */
export function isKey(key: unknown): key is EventKey {
  return typeof key === 'function' || (typeof key === 'string' && key !== '');
}

/** Throws unless `key` is an event class or a non-empty event name. */
export function assertKey(key: unknown): asserts key is EventKey {
  if (!isKey(key)) throw notAKey(key);
}

function notAKey(key: unknown): InvalidArgumentError {
  return new InvalidArgumentError(
    `expected an event class or a non-empty event name, got ${describeValue(key)}`,
  );
}

/** The key as error messages name it (`on(OrderPlaced)`), whatever was passed in its place. */
export function describeKey(key: unknown): string {
  return typeof key === 'function' || typeof key === 'string' ? eventNameOf(key) : describeValue(key);
}
