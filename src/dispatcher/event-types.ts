/**
 * A class whose instances are events. Abstract classes work too: a listener registered on a base class
 * receives the events of every subclass. The constructor's arguments do not matter to the dispatcher.
 */
export type EventClass<E extends object = object> =
  | (abstract new (...args: never[]) => E)
  // Classes whose constructor is private (built through a static factory such as `fromPayload`) are
  // event classes too; their constructor type is not assignable to a public one, their prototype is.
  | { readonly prototype: E; readonly name: string };

/** What a listener is registered on: an event class, or a name for string-named events. */
export type EventKey = EventClass | string;

/**
 * Payload types of string-named events, e.g. `{ 'user.login': { userId: string } }`. An interface works
 * as well as a type alias.
 */
export type NamedEvents = object;

/** A listener may be synchronous or return a promise; `dispatch()` awaits only what is thenable. */
export type Listener<E> = (event: E) => unknown;

/** Removes the listener it was returned for. Calling it twice is harmless. */
export type Unsubscribe = () => void;

export interface ListenOptions {
  /**
   * Higher runs first; equal priorities run in registration order.
   * @defaultValue 0
   */
  priority?: number;
  /**
   * Remove the listener after its first call.
   * @defaultValue false
   */
  once?: boolean;
  /** Remove the listener when this signal aborts; an already aborted signal registers nothing. */
  signal?: AbortSignal;
}

/** The name of an event class for logs and tables: its `static eventName`, else the class name. */
export function eventNameOf(key: EventKey): string {
  if (typeof key === 'string') return key;
  const named = (key as { eventName?: unknown }).eventName;
  return typeof named === 'string' && named !== '' ? named : key.name || '(anonymous class)';
}
