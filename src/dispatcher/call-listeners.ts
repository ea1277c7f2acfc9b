import { AsyncListenerError } from '../errors/async-listener-error.js';
import { ListenersFailedError, type ListenerFailure } from '../errors/listeners-failed-error.js';
import type { StoppableEvent } from './event.js';
import { eventNameOf, type EventKey } from './event-types.js';
import type { ListenerRegistry } from './listener-registry.js';
import type { Registration } from './registration.js';

/**
 * One dispatch: the listeners of the event called one after another in priority order, on the list as
 * it was when the dispatch started, until one stops propagation. `collect` is the error policy: false
 * fails at the first error (`'stop'`), true runs every listener and then fails with one
 * `ListenersFailedError` (`'collect'`).
 *
 * The loop stays synchronous until a listener returns a thenable: synchronous listeners cost no
 * microtask, and a dispatch whose listeners are all synchronous allocates nothing. These are plain
 * functions rather than closures for the same reason.
 *
 * A key's one-element list may be refilled in place once its listener is removed (`ListenerSlot.spare`).
 * So no user code runs between taking the list and reading an element (`isPropagationStopped` may be
 * user code: the event is checked first and each element read before it is asked), and a listener is
 * named by the registration read, never by reading the list again after an await.
 */

const noop = (): void => {};

/** `dispatch()`: resolves to the event, rejects with the listener's error or a `ListenersFailedError`. */
export function callListeners(
  registry: ListenerRegistry,
  collect: boolean,
  key: EventKey,
  event: unknown,
): Promise<unknown> {
  const stoppable = isStoppableValue(event);
  const list = registry.resolve(key);
  let failures: ListenerFailure[] | undefined;
  for (let index = 0; index < list.length; index++) {
    const registration = list[index]!;
    if (stoppable && event.isPropagationStopped()) break;
    if (registration.once && !claim(registry, registration)) continue;
    let result: unknown;
    try {
      result = registration.call(event as never);
    } catch (error) {
      if (!collect) return Promise.reject(error);
      failures = withFailure(failures, registration, error);
      continue;
    }
    if (isThenable(result)) {
      return continueAsync(
        registry,
        collect,
        key,
        event,
        list,
        index,
        registration,
        result,
        stoppable,
        failures,
      );
    }
  }
  if (failures !== undefined) return Promise.reject(listenersFailed(key, failures));
  return Promise.resolve(event);
}

/**
 * `dispatchSync()`: returns the event. A listener that returns a thenable is a misuse, reported as an
 * `AsyncListenerError` naming it, under the same error policy as any other failure.
 *
 * Under `'stop'` (the default) a listener's error simply propagates: no try/catch, so the loop's
 * bytecode is small enough for V8 to inline it into the caller's loop along with `on()` and `off()`
 * (its inlining budget is counted in bytes). `'collect'` has a loop of its own.
 */
export function callListenersSync(
  registry: ListenerRegistry,
  collect: boolean,
  key: EventKey,
  event: unknown,
): unknown {
  if (collect) return callListenersSyncCollecting(registry, key, event);
  const stoppable = isStoppableValue(event);
  const list = registry.resolve(key);
  for (let index = 0; index < list.length; index++) {
    const registration = list[index]!;
    if (stoppable && event.isPropagationStopped()) break;
    if (registration.once && !claim(registry, registration)) continue;
    const result = registration.call(event as never);
    if (isThenable(result)) throw asyncListenerMisuse(registration, key, result);
  }
  return event;
}

/** `callListenersSync` under `'collect'`: every listener runs, then one `ListenersFailedError`. */
function callListenersSyncCollecting(registry: ListenerRegistry, key: EventKey, event: unknown): unknown {
  const stoppable = isStoppableValue(event);
  const list = registry.resolve(key);
  let failures: ListenerFailure[] | undefined;
  for (let index = 0; index < list.length; index++) {
    const registration = list[index]!;
    if (stoppable && event.isPropagationStopped()) break;
    if (registration.once && !claim(registry, registration)) continue;
    try {
      const result = registration.call(event as never);
      if (isThenable(result)) throw asyncListenerMisuse(registration, key, result);
    } catch (error) {
      failures = withFailure(failures, registration, error);
    }
  }
  if (failures !== undefined) throw listenersFailed(key, failures);
  return event;
}

/**
 * The error for a listener that returned a thenable to `dispatchSync()`. Observing the promise keeps
 * its outcome from surfacing again as an unhandled rejection: the dispatch reports the misuse.
 */
function asyncListenerMisuse(
  registration: Registration,
  key: EventKey,
  result: PromiseLike<unknown>,
): AsyncListenerError {
  result.then(undefined, noop);
  return new AsyncListenerError(registration.name, eventNameOf(key));
}

/** The rest of a dispatch once the listener at `index` returned `pending`: awaited one by one. */
async function continueAsync(
  registry: ListenerRegistry,
  collect: boolean,
  key: EventKey,
  event: unknown,
  list: readonly Registration[],
  index: number,
  /** The listener at `index`, whose promise is `pending` (`list[index]` may be refilled meanwhile). */
  running: Registration,
  pending: PromiseLike<unknown>,
  stoppable: boolean,
  failures: ListenerFailure[] | undefined,
): Promise<unknown> {
  try {
    await pending;
  } catch (error) {
    if (!collect) throw error;
    failures = withFailure(failures, running, error);
  }
  for (index++; index < list.length; index++) {
    const registration = list[index]!;
    if (stoppable && (event as StoppableEvent).isPropagationStopped()) break;
    if (registration.once && !claim(registry, registration)) continue;
    try {
      const result = registration.call(event as never);
      if (isThenable(result)) await result;
    } catch (error) {
      if (!collect) throw error;
      failures = withFailure(failures, registration, error);
    }
  }
  if (failures !== undefined) throw listenersFailed(key, failures);
  return event;
}

/** A `once` listener runs in exactly one dispatch, even when dispatches overlap. */
function claim(registry: ListenerRegistry, registration: Registration): boolean {
  // A `once` registration always has its extras record (event-dispatcher.ts).
  const extras = registration.extras!;
  if (extras.spent === true) return false;
  extras.spent = true;
  registry.remove(registration);
  return true;
}

function isStoppableValue(value: unknown): value is StoppableEvent {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<StoppableEvent>).isPropagationStopped === 'function'
  );
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== undefined && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function failure(registration: Registration, error: unknown): ListenerFailure {
  return { listener: registration.name, priority: registration.priority, error };
}

function listenersFailed(key: EventKey, failures: ListenerFailure[]): ListenersFailedError {
  return new ListenersFailedError(eventNameOf(key), failures);
}

/** `failures` with one more (created on the first): a function, so the dispatch loops stay small. */
function withFailure(
  failures: ListenerFailure[] | undefined,
  registration: Registration,
  error: unknown,
): ListenerFailure[] {
  const list = failures ?? [];
  list.push(failure(registration, error));
  return list;
}
