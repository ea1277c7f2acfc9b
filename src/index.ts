// The public API of tidings. Everything not exported here is internal and may change.

// Dispatch
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

// Defer
export type { EventsRoot } from './deferred/events-root.js';
export { AggregateRoot, Recorder } from './deferred/recorder.js';
export type { Constructor, RecordsEvents } from './deferred/recorder.js';
export type { UnitOfWork } from './deferred/unit-of-work.js';
export { InMemoryUnitOfWork } from './deferred/in-memory-unit-of-work.js';
export type { InMemoryTransaction } from './deferred/in-memory-unit-of-work.js';
export { Flusher } from './deferred/flusher.js';
export type {
  BeforeCommitHook,
  EventDispatching,
  FlushScope,
  FlusherBaseOptions,
  FlusherOptions,
} from './deferred/flusher.js';

// Errors
export { InvalidArgumentError } from './errors/invalid-argument-error.js';
export { SubscriberDefinitionError } from './errors/subscriber-definition-error.js';
export { AsyncListenerError } from './errors/async-listener-error.js';
export { ListenersFailedError } from './errors/listeners-failed-error.js';
export type { ListenerFailure } from './errors/listeners-failed-error.js';
export { AfterCommitError } from './errors/after-commit-error.js';
export { FlushLoopLimitError } from './errors/flush-loop-limit-error.js';
