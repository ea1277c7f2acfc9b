// The public API of tidings. Everything not exported here (or by another entry point: src/rabbitmq.ts,
// src/postgres.ts, src/redis.ts) is internal and may change. Nothing reachable from here imports a driver
// (amqplib, pg, ioredis are optional peers): `import 'tidings'` loads none of them, and the declarations
// compile without them. test/dist/entry-points.test.ts holds this.

/**
 * Typed events for Node.js services: an in-process dispatcher, deferred events released after commit,
 * and a broker-neutral bridge with an in-memory transport. The drivers have their own entry points:
 * `tidings/rabbitmq`, `tidings/postgres`, `tidings/redis`.
 *
 * @module tidings
 */

// The Reflect metadata polyfill, in place before the classes of a module importing `tidings` are
// defined: `@OnEvent()` without a class reads the event class from the `design:paramtypes` metadata tsc
// emits (legacy decorators). Nothing of tidings reads it while loading (in the ES module bundle, the
// shared chunks are evaluated before it). `tidings/dispatcher` leaves it out.
import 'reflect-metadata';

// Dispatch: everything `tidings/dispatcher` exports (the dispatcher alone, its errors among them).
export * from './dispatcher.js';

// Defer
export type { EventsRoot } from './deferred/events-root.js';
export { AggregateRoot, Recorder } from './deferred/recorder.js';
export type { Constructor, RecordsEvents } from './deferred/recorder.js';
export type { UnitOfWork } from './deferred/unit-of-work.js';
export type { SqlDialect, SqlResult, SqlUnitOfWork } from './deferred/sql-unit-of-work.js';
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
export { PeerDependencyMissingError } from './errors/peer-dependency-missing-error.js';

// Bridge
export type {
  BindingSpec,
  TransportConsumer,
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
  TransportHealth,
  TransportState,
} from './messaging/transport.js';
export { MemoryTransport } from './adapters/memory/memory-transport.js';
export type { MemoryTransportOptions } from './adapters/memory/memory-transport.js';
export { MemoryBroker } from './adapters/memory/memory-broker.js';
export { Publisher } from './messaging/publisher.js';
export type { PublisherOptions, SendOptions } from './messaging/publisher.js';
export type { MessageOptions } from './messaging/encode-outgoing.js';
export { Consumer } from './messaging/consumer/consumer.js';
export type {
  ConsumedMessage,
  MessageHandler,
  SettledOutcome,
  ConsumerEvents,
  ConsumerOptions,
} from './messaging/consumer/consumer.js';
export { Bridge } from './messaging/bridge.js';
export type {
  BridgeConsumeOptions,
  BridgedDispatcher,
  BridgeEvents,
  BridgeOptions,
  ForwardOptions,
} from './messaging/bridge.js';
export { DeadLetters, describeDeadLetter } from './messaging/dead-letters/dead-letters.js';
export type {
  DeadLetter,
  DeadLetterFilter,
  DeadLettersOptions,
  ReplayOptions,
  ReplaySummary,
} from './messaging/dead-letters/dead-letters.js';
export type { DeadLetterVisitor } from './messaging/dead-letters/dead-letters.js';
export { HEADERS, defaultDeadLetterNames, waitQueueName } from './messaging/names.js';
export type { DeadLetterNames, DeadLetterReason } from './messaging/names.js';
export type { FromPayload } from './messaging/hydrate.js';
export type { StandardSchemaV1, StandardIssue, StandardResult } from './messaging/standard-schema.js';
export type { RepeatCounter } from './messaging/repeat/repeat-counter.js';
export { MemoryRepeatCounter } from './messaging/repeat/memory-repeat-counter.js';
export type { MemoryRepeatCounterOptions } from './messaging/repeat/memory-repeat-counter.js';

// Logs and health
export type { Logger } from './messaging/logging/logger.js';
export type { HealthStatus } from './messaging/health/health-status.js';
export type { ConsumerHealth, ConsumerState } from './messaging/health/consumer-health.js';
export type { BridgeHealth } from './messaging/health/bridge-health.js';
export type { OutboxRelayHealth, OutboxRelayHealthOptions } from './messaging/health/relay-health.js';

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
export type { ClaimedRow, FailedRow, Outbox, OutboxMessage, OutboxStats } from './messaging/outbox/outbox.js';
export { encodeOutboxMessage } from './messaging/outbox/outbox-message.js';
export type { OutboxMessageOptions } from './messaging/outbox/outbox-message.js';
export { MemoryOutbox } from './messaging/outbox/memory-outbox.js';
export { OutboxRelay } from './messaging/outbox/outbox-relay.js';
export type { OutboxRelayEvents, OutboxRelayOptions } from './messaging/outbox/outbox-relay.js';
export { TransactionStateError } from './errors/transaction-state-error.js';

// Inbox (idempotent consumers)
export type { Inbox } from './messaging/inbox/inbox.js';
export { MemoryInbox } from './messaging/inbox/memory-inbox.js';
export { idempotent } from './messaging/inbox/idempotent.js';
export type { IdempotentOptions } from './messaging/inbox/idempotent.js';
