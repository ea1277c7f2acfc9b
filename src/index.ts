// The public API of tidings. Everything not exported here (or by another entry point: src/postgres.ts for
// tidings/postgres) is internal and may change. Nothing reachable from here imports a driver that is an
// optional peer dependency (`pg`): the declarations must compile without it.

/**
 * Typed events for Node.js services: an in-process dispatcher, deferred events released after commit,
 * and a RabbitMQ bridge that never loses a message. The parts that use PostgreSQL are in
 * `tidings/postgres`.
 *
 * @module tidings
 */

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
  AfterCommitHook,
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

// Bridge
export type {
  BindingSpec,
  Consumer,
  ConsumeOptions,
  Delivery,
  DeliveryHandler,
  ExchangeSpec,
  MessageProperties,
  OutgoingMessage,
  PublishOptions,
  QueueSpec,
  QueueStats,
  Topology,
  Transport,
  TransportEvents,
} from './bridge/transport.js';
export { createTransport } from './bridge/create-transport.js';
export type { CreateTransportOptions } from './bridge/create-transport.js';
export { AmqpTransport } from './bridge/amqp/amqp-transport.js';
export type { AmqpTlsOptions, AmqpTransportOptions } from './bridge/amqp/amqp-transport.js';
export { UNRECOVERABLE_CONNECTION_CODES } from './bridge/amqp/topology.js';
export { MemoryTransport } from './bridge/memory/memory-transport.js';
export type { MemoryTransportOptions } from './bridge/memory/memory-transport.js';
export { MemoryBroker } from './bridge/memory/memory-broker.js';
export { Publisher } from './bridge/publisher.js';
export type { PublisherOptions, SendOptions } from './bridge/publisher.js';
export { Subscriber } from './bridge/subscriber.js';
export type {
  ConsumedMessage,
  MessageHandler,
  SettledOutcome,
  SubscriberEvents,
  SubscriberOptions,
} from './bridge/subscriber.js';
export { Bridge } from './bridge/bridge.js';
export type {
  BridgeConsumeOptions,
  BridgedDispatcher,
  BridgeEvents,
  BridgeOptions,
  ForwardOptions,
} from './bridge/bridge.js';
export { DeadLetters, describeDeadLetter } from './bridge/dead-letter/dead-letters.js';
export type {
  DeadLetter,
  DeadLetterFilter,
  DeadLettersOptions,
  ReplayOptions,
  ReplaySummary,
} from './bridge/dead-letter/dead-letters.js';
export type { DeadLetterVisitor } from './bridge/dead-letter/dead-letters.js';
export { HEADERS, defaultDeadLetterNames, waitQueueName } from './bridge/names.js';
export type { DeadLetterNames, DeadLetterReason } from './bridge/names.js';
export { assertRoutingKey, exchangeOf } from './bridge/routing.js';
export { encodeMessage, CONTENT_TYPE } from './bridge/envelope.js';
export type { FromPayload } from './bridge/hydrate.js';
export type { StandardSchemaV1, StandardIssue, StandardResult } from './bridge/standard-schema.js';
export type { RepeatCounter } from './bridge/repeat/repeat-counter.js';
export { MemoryRepeatCounter } from './bridge/repeat/memory-repeat-counter.js';
export type { MemoryRepeatCounterOptions } from './bridge/repeat/memory-repeat-counter.js';
export { RedisRepeatCounter } from './bridge/repeat/redis-repeat-counter.js';
export type { RedisRepeatCounterOptions } from './bridge/repeat/redis-repeat-counter.js';

// Bridge errors
export { UnroutableError } from './errors/unroutable-error.js';
export { PublishNackedError } from './errors/publish-nacked-error.js';
export { PublishTimeoutError } from './errors/publish-timeout-error.js';
export { ConnectionLostError } from './errors/connection-lost-error.js';
export { ConnectionBlockedError } from './errors/connection-blocked-error.js';
export { ConnectionFailedError } from './errors/connection-failed-error.js';
export { BrokerNotConfiguredError } from './errors/broker-not-configured-error.js';
export { TransportClosedError } from './errors/transport-closed-error.js';
export { TopologyConflictError } from './errors/topology-conflict-error.js';
export { InvalidRoutingKeyError } from './errors/invalid-routing-key-error.js';
export { InvalidContentError } from './errors/invalid-content-error.js';
export { HeadersTooLargeError } from './errors/headers-too-large-error.js';
export { NonRetryableError } from './errors/non-retryable-error.js';
export { RepeatCounterUnavailableError } from './errors/repeat-counter-unavailable-error.js';

// Outbox
export type { ClaimedRow, FailedRow, Outbox, OutboxMessage, OutboxStats } from './outbox/outbox.js';
export { MemoryOutbox } from './outbox/memory-outbox.js';
export { OutboxRelay } from './outbox/outbox-relay.js';
export type { OutboxRelayEvents, OutboxRelayOptions } from './outbox/outbox-relay.js';
export { TransactionStateError } from './errors/transaction-state-error.js';

// Inbox (idempotent consumers)
export type { Inbox } from './inbox/inbox.js';
export { MemoryInbox } from './inbox/memory-inbox.js';
export { idempotent } from './inbox/idempotent.js';
export type { IdempotentOptions } from './inbox/idempotent.js';
