import type { EventEmitter } from 'eventemitter3';
import type { TransportHealth } from './health/transport-health.js';

export type { TransportHealth, TransportState } from './health/transport-health.js';

/** AMQP basic properties tidings uses, as amqplib names them. */
export interface MessageProperties {
  contentType?: string | undefined;
  contentEncoding?: string | undefined;
  /** 2 = persistent (the default for everything tidings publishes), 1 = transient. */
  deliveryMode?: 1 | 2 | undefined;
  messageId?: string | undefined;
  correlationId?: string | undefined;
  appId?: string | undefined;
  /** The event name. */
  type?: string | undefined;
  /** Seconds since the epoch (AMQP timestamps have second resolution). */
  timestamp?: number | undefined;
  /** Per-message TTL in milliseconds, as a string (AMQP's type for it). */
  expiration?: string | undefined;
  replyTo?: string | undefined;
  priority?: number | undefined;
  headers?: Record<string, unknown> | undefined;
}

export interface OutgoingMessage {
  /** `''` is the default exchange: it routes to the queue named by the routing key. */
  exchange: string;
  routingKey: string;
  content: Buffer;
  properties: MessageProperties;
}

/**
 * One delivery to a consumer. It must be settled exactly once with `ack()` or `nack()`; later calls are
 * ignored. After the channel it came on has closed, settling does nothing and returns `false` (the
 * broker redelivers such a message; an ack is never sent on another channel).
 */
export interface Delivery {
  readonly queue: string;
  readonly exchange: string;
  readonly routingKey: string;
  readonly redelivered: boolean;
  readonly content: Buffer;
  /** `headers` is always an object here. */
  readonly properties: MessageProperties & { headers: Record<string, unknown> };
  /**
   * The headers with every value's AMQP field type kept (see `typed-headers.ts`): what a repeat, dead
   * letter or replay of this message carries, so that it is written with the bytes it arrived with.
   * Absent when `properties.headers` are exact already (the memory transport keeps them as given).
   */
  typedHeaders?(): Record<string, unknown>;
  /** The size of the header table as received (its 4-byte length included), when the transport knows it. */
  readonly headerBytes?: number;
  /**
   * Set when the transport could not decode the headers (nested too deeply for its decoder):
   * `properties.headers` is then empty. The consumer dead-letters such a message as `invalid-content`.
   */
  readonly headersUndecodable?: boolean;
  /** @returns whether the ack was sent. */
  ack(): boolean;
  /** @returns whether the nack was sent. `requeue: false` dead-letters through the queue's DLX. */
  nack(options: { requeue: boolean }): boolean;
}

/** Handles one delivery and settles it. A rejection that leaves it unsettled nacks it without requeue. */
export type DeliveryHandler = (delivery: Delivery) => Promise<void>;

export interface ConsumeOptions {
  /** Unsettled deliveries at most, per consumer. */
  prefetch: number;
}

export interface TransportConsumer {
  readonly queue: string;
  /** Stops new deliveries; resolves once handlers already running have finished. */
  cancel(): Promise<void>;
}

export interface ExchangeSpec {
  name: string;
  type: 'topic' | 'direct' | 'fanout' | 'headers';
  /** @defaultValue true */
  durable?: boolean;
}

export interface QueueSpec {
  name: string;
  /** @defaultValue true */
  durable?: boolean;
  /** `x-dead-letter-exchange`; `''` dead-letters through the default exchange. */
  deadLetterExchange?: string;
  /** `x-dead-letter-routing-key`; when absent, the message keeps its routing key. */
  deadLetterRoutingKey?: string;
  /** `x-message-ttl`: messages expire after this many milliseconds in the queue. */
  messageTtlMs?: number;
  /** `x-queue-type`. @defaultValue 'classic' */
  queueType?: 'classic' | 'quorum';
  /**
   * How the broker dead-letters (expired, rejected) messages of a quorum queue. `'at-least-once'`
   * (`x-dead-letter-strategy`, with `x-overflow: reject-publish`, which RabbitMQ requires for it) keeps a
   * message in this queue until the dead-letter target confirmed its copy, so a dead letter survives the
   * loss of a node. Quorum queues only. @defaultValue 'at-most-once'
   */
  deadLetterStrategy?: 'at-most-once' | 'at-least-once';
}

export interface BindingSpec {
  queue: string;
  exchange: string;
  /** For topic exchanges, `*` matches one word and `#` zero or more. */
  pattern: string;
}

/** Exchanges, queues and bindings; declared in that order, and declared again after a reconnect. */
export interface Topology {
  exchanges?: readonly ExchangeSpec[];
  queues?: readonly QueueSpec[];
  bindings?: readonly BindingSpec[];
}

export interface PublishOptions {
  /** How long to wait for the broker's confirm; then `PublishTimeoutError`. */
  timeoutMs?: number;
}

export interface QueueStats {
  messageCount: number;
  consumerCount: number;
}

/** Lifecycle events of a transport (eventemitter3). */
export interface TransportEvents {
  connected: [info: { url: string }];
  disconnected: [info: { url: string; error?: Error }];
  blocked: [reason: string];
  unblocked: [];
  /** Something went wrong that no caller is waiting for (a consumer could not be restored, say). */
  error: [error: Error];
}

/**
 * What the bridge needs of a message broker. `AmqpTransport` speaks to RabbitMQ; `MemoryTransport` is
 * the embedded default with the same semantics, and both pass the same contract tests.
 */
export interface Transport extends EventEmitter<TransportEvents> {
  /** Connects (idempotent). Other methods connect on first use. */
  connect(): Promise<void>;
  /** Declares exchanges, queues and bindings, and remembers them to declare again after a reconnect. */
  declare(topology: Topology): Promise<void>;
  /**
   * Publishes one message as `mandatory` and persistent unless said otherwise, and settles once: resolves
   * when the broker confirmed it, rejects with `UnroutableError`, `PublishNackedError`,
   * `PublishTimeoutError`, `ConnectionLostError` or `TransportClosedError`.
   */
  publish(message: OutgoingMessage, options?: PublishOptions): Promise<void>;
  /** Starts consuming; the consumer is restored after a reconnect. */
  consume(queue: string, handler: DeliveryHandler, options: ConsumeOptions): Promise<TransportConsumer>;
  /** Takes one message without a consumer (`basic.get`), or `undefined` when the queue is empty. */
  get(queue: string): Promise<Delivery | undefined>;
  /** Message and consumer counts, or `undefined` when the queue does not exist. */
  queueStats(queue: string): Promise<QueueStats | undefined>;
  /** Removes every ready message; returns how many. */
  purgeQueue(queue: string): Promise<number>;
  deleteQueue(queue: string): Promise<void>;
  deleteExchange(exchange: string): Promise<void>;
  /**
   * The connection as it is now, for readiness probes: `'up'` while connected and not blocked by the
   * broker. Synchronous and cheap: it asks the broker nothing.
   */
  health(): TransportHealth;
  /**
   * Stops taking new work, cancels consumers, waits for running handlers (up to `timeoutMs`), settles
   * pending publishes, then closes. Idempotent.
   */
  close(options?: { timeoutMs?: number }): Promise<void>;
}
