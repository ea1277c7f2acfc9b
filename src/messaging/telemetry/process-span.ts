import type { Attributes, Link, Span } from '@opentelemetry/api';
import type { Settlement } from '../consumer/decide-settlement.js';
import type { MessageIdentity } from '../envelope.js';
import type { Delivery } from '../transport.js';
import { headerGetter } from './header-carrier.js';
import { activeOtel, type Otel } from './otel-api.js';
import { ATTR, errorType, EVENTS, MESSAGING_SYSTEM, OUTCOME, TRACER_NAME } from './semconv.js';

/** What the consumer tells the `process` span of a delivery while it handles and settles it. */
export interface ProcessTrace {
  /** Runs `work` with the span as the active context (the handler's own spans become its children). */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** The settle decision: recorded on the span as its outcome. */
  decided(settlement: Exclude<Settlement, { kind: 'handle' }>): void;
  /** A decision taken on an earlier delivery is being completed (the handler does not run). */
  completingEarlier(): void;
  /** Runs the settling (ack, or copy-then-ack) in a `settle` span, a child of the `process` span. */
  settle<T>(settlement: Exclude<Settlement, { kind: 'handle' }>, work: () => Promise<T>): Promise<T>;
}

/**
 * The `process` span of a delivery when an SDK is registered, else `undefined` (the consumer then takes
 * its plain path, allocating nothing). Its parent is the message's creation context, extracted from
 * the headers (the `create` span of an outbox row, the `send` span of a direct publish), and it also
 * links to it. The conventions require the link (a batch could not have a parent) and allow the parent
 * for a single message pushed to a consumer, as here; with the parent, a backend shows the handler in
 * the request's trace. A repeat or a replay carries the original headers, so each attempt is another
 * `process` span under the same creation context.
 */
export function startProcessTrace(
  delivery: Delivery,
  identity: MessageIdentity,
  queue: string,
): ProcessTrace | undefined {
  const otel = activeOtel();
  if (otel === undefined) return undefined;
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
  return new OtelProcessTrace(otel, span, otel.trace.setSpan(parent, span), queue);
}

class OtelProcessTrace implements ProcessTrace {
  constructor(
    private readonly otel: Otel,
    private readonly span: Span,
    private readonly context: ReturnType<Otel['context']['active']>,
    private readonly queue: string,
  ) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await this.otel.context.with(this.context, work);
    } catch (error) {
      // The consumer settles every delivery itself: an error here is its own failure, not the handler's.
      this.#fail(error);
      throw error;
    } finally {
      this.span.end();
    }
  }

  decided(settlement: Exclude<Settlement, { kind: 'handle' }>): void {
    const { span } = this;
    span.setAttribute(ATTR.outcome, OUTCOME[settlement.kind]);
    span.setAttribute(ATTR.attempt, settlement.attempt);
    if (settlement.kind === 'ack') return;
    this.#fail(settlement.error);
    if (settlement.kind === 'repeat') {
      span.setAttribute(ATTR.repeatDelayMs, settlement.delayMs);
      span.addEvent(EVENTS.repeat, {
        [ATTR.attempt]: settlement.attempt,
        [ATTR.repeatDelayMs]: settlement.delayMs,
      });
    } else {
      span.setAttribute(ATTR.deadLetterReason, settlement.reason);
      span.addEvent(EVENTS.deadLetter, {
        [ATTR.attempt]: settlement.attempt,
        [ATTR.deadLetterReason]: settlement.reason,
      });
    }
  }

  completingEarlier(): void {
    this.span.addEvent(EVENTS.completedEarlier);
  }

  async settle<T>(settlement: Exclude<Settlement, { kind: 'handle' }>, work: () => Promise<T>): Promise<T> {
    const { otel } = this;
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
      this.context,
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

  /** Marks the span failed: status ERROR, `error.type`, and the exception as an event. */
  #fail(error: unknown): void {
    this.span.setAttribute(ATTR.errorType, errorType(error));
    this.span.setStatus({ code: this.otel.SpanStatusCode.ERROR, message: messageOf(error) });
    if (error instanceof Error) this.span.recordException(error);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
