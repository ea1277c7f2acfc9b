import type { Attributes, Context, Link, Span } from '@opentelemetry/api';
import type { Settlement } from '../consumer/decide-settlement.js';
import type { MessageIdentity } from '../envelope.js';
import type { Delivery } from '../transport.js';
import { headerGetter } from './header-carrier.js';
import { elapsedS, messagingMetrics, type MessagingMetrics } from './messaging-metrics.js';
import { tracingOtel, type Otel } from './otel-api.js';
import { failSpan } from './producer-spans.js';
import { ATTR, errorType, EVENTS, MESSAGING_SYSTEM, OUTCOME, TRACER_NAME } from './semconv.js';
import { recordSettle } from './settle-metrics.js';
import { safely, telemetryFailed } from './telemetry-failure.js';

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
 *
 * A propagator or tracer that throws is reported and the delivery goes on untraced (its metrics still
 * recorded): telemetry never fails, loses or repeats a message.
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
  const traced =
    otel === undefined
      ? undefined
      : safely(otel, () => startProcess(otel, delivery, identity, queue), undefined);
  return new Observation(traced, metrics, queue, identity.exchange, started);
}

interface Traced {
  readonly otel: Otel;
  readonly span: Span;
  readonly context: Context;
}

function startProcess(otel: Otel, delivery: Delivery, identity: MessageIdentity, queue: string): Traced {
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
  return { otel, span, context: otel.trace.setSpan(parent, span) };
}

class Observation implements ProcessObservation {
  /** The handler's (or the refusal's) error, for the metrics' `error.type`. */
  #failure: { error: unknown } | undefined;

  constructor(
    private readonly traced: Traced | undefined,
    private readonly metrics: MessagingMetrics | undefined,
    private readonly queue: string,
    private readonly exchange: string,
    private readonly started: number,
  ) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await (this.traced === undefined ? work() : this.#withSpan(this.traced, work));
    } catch (error) {
      // The consumer settles every delivery itself: an error here is its own failure, not the handler's.
      this.#fail(error);
      throw error;
    } finally {
      const { traced } = this;
      if (traced !== undefined) safely(traced.otel, () => traced.span.end(), undefined);
      this.#record();
    }
  }

  /** `work` in the span's context; without it (reported) when the context manager fails to run it. */
  #withSpan<T>(traced: Traced, work: () => Promise<T>): Promise<T> {
    let ran = false;
    try {
      return traced.otel.context.with(traced.context, () => {
        ran = true;
        return work();
      });
    } catch (error) {
      if (ran) throw error;
      telemetryFailed(traced.otel, error);
      return work();
    }
  }

  decided(settlement: Decided): void {
    if (settlement.kind !== 'ack') this.#fail(settlement.error);
    const { traced } = this;
    if (traced !== undefined) safely(traced.otel, () => this.#decided(traced.span, settlement), undefined);
  }

  #decided(span: Span, settlement: Decided): void {
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
    const { traced } = this;
    if (traced !== undefined) {
      safely(traced.otel, () => traced.span.addEvent(EVENTS.completedEarlier), undefined);
    }
  }

  async settle<T>(settlement: Decided, work: () => Promise<T>): Promise<T> {
    const { traced, metrics } = this;
    if (traced === undefined && metrics === undefined) return work();
    const started = performance.now();
    const span =
      traced === undefined
        ? undefined
        : safely(traced.otel, () => this.#startSettle(traced, settlement), undefined);
    let failure: { error: unknown } | undefined;
    try {
      return await work();
    } catch (error) {
      failure = { error };
      if (traced !== undefined && span !== undefined) {
        safely(traced.otel, () => failSpan(traced.otel, span, error), undefined);
      }
      throw error;
    } finally {
      if (span !== undefined) safely(traced?.otel, () => span.end(), undefined);
      if (metrics !== undefined) {
        const where = { queue: this.queue, exchange: this.exchange };
        safely(
          traced?.otel,
          () => recordSettle(metrics, settlement, where, elapsedS(started), failure),
          undefined,
        );
      }
    }
  }

  /**
   * RabbitMQ's settle operation is the ack of the original; a repeat or a dead letter publishes its copy
   * first (copy-then-ack), which this span's duration includes.
   */
  #startSettle({ otel, context }: Traced, settlement: Decided): Span {
    return otel.trace.getTracer(TRACER_NAME).startSpan(
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
  }

  /** Marks the processing failed: on the span, status ERROR, `error.type` and the exception as an event. */
  #fail(error: unknown): void {
    this.#failure = { error };
    const { traced } = this;
    if (traced === undefined) return;
    safely(
      traced.otel,
      () => {
        failSpan(traced.otel, traced.span, error);
        if (error instanceof Error) traced.span.recordException(error);
      },
      undefined,
    );
  }

  #record(): void {
    const { metrics } = this;
    if (metrics !== undefined) safely(this.traced?.otel, () => this.#recordProcess(metrics), undefined);
  }

  #recordProcess(metrics: MessagingMetrics): void {
    const attributes: Attributes = {
      [ATTR.system]: MESSAGING_SYSTEM,
      [ATTR.operationName]: 'process',
      [ATTR.destination]: this.exchange,
      [ATTR.subscription]: this.queue,
    };
    if (this.#failure !== undefined) attributes[ATTR.errorType] = errorType(this.#failure.error);
    metrics.consumed.add(1, attributes);
    metrics.processDuration.record(elapsedS(this.started), attributes);
  }
}
