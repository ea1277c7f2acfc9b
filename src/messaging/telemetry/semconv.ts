/**
 * The attribute names and values tidings writes on spans, in one place: the OpenTelemetry messaging
 * semantic conventions (messaging-spans.md, rabbitmq.md; Development status), and tidings' own under
 * `tidings.*` for what the conventions have no name for (repeats, dead letters).
 */
export const ATTR = {
  system: 'messaging.system',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  /** RabbitMQ: the exchange (`''` for the default exchange). */
  destination: 'messaging.destination.name',
  /** The queue a consumer reads. */
  subscription: 'messaging.destination.subscription.name',
  routingKey: 'messaging.rabbitmq.destination.routing_key',
  messageId: 'messaging.message.id',
  conversationId: 'messaging.message.conversation_id',
  bodySize: 'messaging.message.body.size',
  errorType: 'error.type',
  /** The delivery's attempt (1 for the first). */
  attempt: 'tidings.attempt',
  /** What became of a processed message: one of `OUTCOME`. */
  outcome: 'tidings.outcome',
  repeatDelayMs: 'tidings.repeat.delay_ms',
  deadLetterReason: 'tidings.dead_letter.reason',
  /** The dead-letter queue a depth is measured of. */
  deadLetterQueue: 'tidings.dead_letter.queue',
  replays: 'tidings.replays',
} as const;

export const MESSAGING_SYSTEM = 'rabbitmq';

/**
 * The metric names: the messaging conventions' (messaging-metrics.md), then tidings' own under
 * `tidings.*` (the conventions have none for repeats, dead letters or an outbox).
 */
export const METRICS = {
  sent: 'messaging.client.sent.messages',
  consumed: 'messaging.client.consumed.messages',
  processDuration: 'messaging.process.duration',
  operationDuration: 'messaging.client.operation.duration',
  repeats: 'tidings.consumer.repeats',
  deadLetters: 'tidings.consumer.dead_letters',
  deadLetterQueueDepth: 'tidings.dead_letter.queue.depth',
  outboxPending: 'tidings.outbox.pending',
  outboxLag: 'tidings.outbox.lag',
  outboxInFlight: 'tidings.outbox.in_flight',
  outboxFailing: 'tidings.outbox.failing',
  relayBatchDuration: 'tidings.outbox.relay.batch.duration',
  relayBatchSize: 'tidings.outbox.relay.batch.size',
} as const;

/** `messaging.operation.type` values. */
export type OperationType = 'create' | 'send' | 'process' | 'settle';

/** `tidings.outcome` values, one per settle decision. */
export const OUTCOME = { ack: 'acked', repeat: 'repeated', 'dead-letter': 'dead-lettered' } as const;

/** Span event names, for the outcomes a tracing backend should show on the timeline. */
export const EVENTS = {
  repeat: 'tidings.repeat',
  deadLetter: 'tidings.dead_letter',
  /** A decision taken on an earlier delivery (which could not complete it) is completed now. */
  completedEarlier: 'tidings.decision.completed',
} as const;

/** The tracer's name (the instrumentation scope). */
export const TRACER_NAME = 'tidings';

/**
 * `error.type`: the error's class name, low-cardinality as the conventions ask (`TypeError`,
 * `PublishTimeoutError`), `_OTHER` for a thrown non-error.
 */
export function errorType(error: unknown): string {
  return error instanceof Error && error.name !== '' ? error.name : '_OTHER';
}
