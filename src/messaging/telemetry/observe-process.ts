import type { Attributes, Context, Link, Span } from '@opentelemetry/api';
import type { Settlement } from '../consumer/decide-settlement.js';
import type { MessageIdentity } from '../envelope.js';
import type { Delivery } from '../transport.js';
import { headerGetter } from './header-carrier.js';
import { messagingMetrics, type MessagingMetrics } from './messaging-metrics.js';
import { tracingOtel, type Otel } from './otel-api.js';
import { ATTR, errorType, EVENTS, MESSAGING_SYSTEM, OUTCOME, TRACER_NAME } from './semconv.js';

/** A settle decision (what `decideSettlement` answers once the handler ran, or instead of running it). */
type Decided = Exclude<Settlement, { kind: 'handle' }>;

/** What the consumer tells the observation of a delivery (its `process` span, its metrics) as it goes. */
export interface ProcessObservation {
  /** Runs `work` with the span as the active context (the handler's own spans become its children). */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** The settle decision: recorded on the span as its outcome. */
  decided(settlement: Decided): void;
  /** A decision taken on an earlier delivery is being completed (the handler does not run). */
  completingEarlier(): void;
  /** Runs the settling (ack, or copy-then-ack) in a `settle` span, a child of the `process` span. */
  settle<T>(settlement: Decided, work: () => Promise<T>): Promise<T>;
}

/**
 * Observes a delivery when an SDK is registered (a tracer provider or propagator: the `process` span; a
 * meter provider: `messaging.client.consumed.messages` and `messaging.process.duration`), else
 * `undefined`: the consumer then takes its plain path, allocating nothing.
 *
 * The span's parent is the message's creation context, extracted from the headers (the `create` span of
 * an outbox row, the `send` span of a direct publish), and it also links to it. The conventions require
 * the link (a batch could not have a parent) and allow the parent for a single message pushed to a
 * consumer, as here; with the parent, a backend shows the handler in the request's trace. A repeat or a
 * replay carries the original headers, so each attempt is another `process` span under the same
 * creation context.
 */
export function observeProcess(
  delivery: Delivery,
  identity: MessageIdentity,
  queue: string,
): ProcessObservation | undefined {
  const otel = tracingOtel();
  const metrics = messagingMetrics();
  if (otel === undefined && metrics === undefined) return undefined;
  const started = performance.now();
  if (otel === undefined) return new Observation(undefined, metrics, queue, identity.exchange, started);
  const parent = otel.propagation.extract(otel.ROOT_CONTEXT, delivery.properties.headers, headerGetter);
  const created = otel.trace.getSpanContext(parent);
  const links: Link[] =
    created !== undefined && otel.trace.isSpanContextValid(created) ? [{ context: created }] : [];
  const attributes: Attributes = {
    [ATTR.system]: MESSAGING_SYSTEM,
    [ATTR.operationType]: 'process',
    [ATTR.operationName]: 'process',
    [ATTR.destination]: identity.exchange,
    [ATTR.subscription]: queue,
    [ATTR.messageId]: identity.messageId,
    [ATTR.bodySize]: delivery.content.byteLength,
  };
  if (identity.routingKey !== '') attributes[ATTR.routingKey] = identity.routingKey;
  if (identity.replays > 0) attributes[ATTR.replays] = identity.replays;
  const { correlationId } = delivery.properties;
  if (typeof correlationId === 'string') attributes[ATTR.conversationId] = correlationId;
  const span = otel.trace
    .getTracer(TRACER_NAME)
    .startSpan(`process ${queue}`, { kind: otel.SpanKind.CONSUMER, attributes, links }, parent);
  const traced = { otel, span, context: otel.trace.setSpan(parent, span) };
  return new Observation(traced, metrics, queue, identity.exchange, started);
}

class Observation implements ProcessObservation {
  /** The handler's (or the refusal's) error, for the metrics' `error.type`. */
  #failure: { error: unknown } | undefined;

  constructor(
    private readonly traced: { otel: Otel; span: Span; context: Context } | undefined,
    private readonly metrics: MessagingMetrics | undefined,
    private readonly queue: string,
    private readonly exchange: string,
    private readonly started: number,
  ) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await (this.traced === undefined
        ? work()
        : this.traced.otel.context.with(this.traced.context, work));
    } catch (error) {
      // The consumer settles every delivery itself: an error here is its own failure, not the handler's.
      this.#fail(error);
      throw error;
    } finally {
      this.traced?.span.end();
      this.#record();
    }
  }

  decided(settlement: Decided): void {
    if (settlement.kind !== 'ack') this.#fail(settlement.error);
    const span = this.traced?.span;
    if (span === undefined) return;
    span.setAttribute(ATTR.outcome, OUTCOME[settlement.kind]);
    span.setAttribute(ATTR.attempt, settlement.attempt);
    if (settlement.kind === 'repeat') {
      span.setAttribute(ATTR.repeatDelayMs, settlement.delayMs);
      span.addEvent(EVENTS.repeat, {
        [ATTR.attempt]: settlement.attempt,
        [ATTR.repeatDelayMs]: settlement.delayMs,
      });
    } else if (settlement.kind === 'dead-letter') {
      span.setAttribute(ATTR.deadLetterReason, settlement.reason);
      span.addEvent(EVENTS.deadLetter, {
        [ATTR.attempt]: settlement.attempt,
        [ATTR.deadLetterReason]: settlement.reason,
      });
    }
  }

  completingEarlier(): void {
    this.traced?.span.addEvent(EVENTS.completedEarlier);
  }

  async settle<T>(settlement: Decided, work: () => Promise<T>): Promise<T> {
    if (this.traced === undefined) return work();
    const { otel, context } = this.traced;
    // RabbitMQ's settle operation is the ack of the original; a repeat or a dead letter publishes its
    // copy first (copy-then-ack), which this span's duration includes.
    const span = otel.trace.getTracer(TRACER_NAME).startSpan(
      `ack ${this.queue}`,
      {
        kind: otel.SpanKind.CLIENT,
        attributes: {
          [ATTR.system]: MESSAGING_SYSTEM,
          [ATTR.operationType]: 'settle',
          [ATTR.operationName]: 'ack',
          [ATTR.subscription]: this.queue,
          [ATTR.outcome]: OUTCOME[settlement.kind],
        },
      },
      context,
    );
    try {
      return await work();
    } catch (error) {
      span.setAttribute(ATTR.errorType, errorType(error));
      span.setStatus({ code: otel.SpanStatusCode.ERROR, message: messageOf(error) });
      throw error;
    } finally {
      span.end();
    }
  }

  /** Marks the processing failed: on the span, status ERROR, `error.type` and the exception as an event. */
  #fail(error: unknown): void {
    this.#failure = { error };
    if (this.traced === undefined) return;
    const { otel, span } = this.traced;
    span.setAttribute(ATTR.errorType, errorType(error));
    span.setStatus({ code: otel.SpanStatusCode.ERROR, message: messageOf(error) });
    if (error instanceof Error) span.recordException(error);
  }

  #record(): void {
    if (this.metrics === undefined) return;
    const attributes: Attributes = {
      [ATTR.system]: MESSAGING_SYSTEM,
      [ATTR.operationName]: 'process',
      [ATTR.destination]: this.exchange,
      [ATTR.subscription]: this.queue,
    };
    if (this.#failure !== undefined) attributes[ATTR.errorType] = errorType(this.#failure.error);
    this.metrics.consumed.add(1, attributes);
    this.metrics.processDuration.record((performance.now() - this.started) / 1000, attributes);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
