// `tidings/dispatcher`: the in-process dispatcher alone, for code that needs nothing else (a library, a
// CLI, a browser bundle). The same classes as `tidings` exports (one module each), so a dispatcher from
// here and events or errors from there mix freely. It loads only the dispatcher's files, the errors it
// throws and their helpers — test/dist/dispatcher-entry.test.ts holds this.

/**
 * The typed in-process event dispatcher on its own: event classes, listeners and subscriber classes
 * with priorities, stop-propagation, sync and async listeners. Everything here is also exported by
 * `tidings`; this entry point loads a fraction of it.
 *
 * @module tidings/dispatcher
 */

export { EventDispatcher } from './dispatcher/event-dispatcher.js';
export type { EventDispatcherOptions } from './dispatcher/event-dispatcher.js';
export { Event } from './dispatcher/event.js';
export type { StoppableEvent } from './dispatcher/event.js';
export { eventNameOf } from './dispatcher/event-types.js';
export type {
  EventClass,
  EventKey,
  ListenOptions,
  Listener,
  NamedEvents,
  Unsubscribe,
} from './dispatcher/event-types.js';
export { OnEvent } from './dispatcher/on-event.js';
export type { OnEventDecorator, OnEventOptions } from './dispatcher/on-event.js';
export type {
  EventSubscriber,
  MethodName,
  MethodSubscription,
  SubscribedEvents,
} from './dispatcher/event-subscriber.js';
export type { ListenerInfo } from './dispatcher/listener-info.js';
export { InvalidArgumentError } from './errors/invalid-argument-error.js';
export { SubscriberDefinitionError } from './errors/subscriber-definition-error.js';
export { AsyncListenerError } from './errors/async-listener-error.js';
export { ListenersFailedError } from './errors/listeners-failed-error.js';
export type { ListenerFailure } from './errors/listeners-failed-error.js';
