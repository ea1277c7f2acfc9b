import { InvalidContentError } from '../errors/invalid-content-error.js';
import type { EventClass } from '../dispatcher/event-types.js';

/** A class that builds its instances from a payload itself (validation, nested objects, dates…). */
export interface FromPayload<E extends object> {
  fromPayload(payload: unknown): E;
}

const IGNORED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Turns a decoded payload into an instance of the event class: through its static `fromPayload` when it
 * has one, else by copying the payload's own keys onto an object with the class's prototype (the
 * constructor does not run). `__proto__`, `constructor` and `prototype` keys are never copied.
 */
export function hydrate<E extends object>(eventClass: EventClass<E>, payload: unknown): E {
  const factory = (eventClass as Partial<FromPayload<E>>).fromPayload;
  if (typeof factory === 'function') {
    try {
      return factory.call(eventClass, payload);
    } catch (error) {
      throw new InvalidContentError(
        `${eventClass.name}.fromPayload rejected the payload: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new InvalidContentError(`The payload of ${eventClass.name} must be a JSON object`);
  }
  const event = Object.create(eventClass.prototype as object) as E;
  for (const [key, value] of Object.entries(payload)) {
    if (IGNORED_KEYS.has(key)) continue;
    // Defined, not assigned, where the class or Object.prototype has the name (an accessor, a method):
    // the payload's value is what the event holds. Any other key is assigned, which is the same and
    // several times faster (every consumed message goes through here).
    if (key in event) {
      Object.defineProperty(event, key, { value, enumerable: true, writable: true, configurable: true });
    } else {
      (event as Record<string, unknown>)[key] = value;
    }
  }
  return event;
}
