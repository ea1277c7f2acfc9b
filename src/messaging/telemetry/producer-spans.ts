import type { Attributes, Context, Link, Span } from '@opentelemetry/api';
import type { OutgoingMessage, PublishOptions, Transport } from '../transport.js';
import { carriesContext, headerGetter, headerSetter } from './header-carrier.js';
import { messagingMetrics, recordSent, type MessagingMetrics } from './messaging-metrics.js';
import { tracingOtel, type Otel } from './otel-api.js';
import { ATTR, errorType, MESSAGING_SYSTEM, TRACER_NAME, type OperationType } from './semconv.js';
import { safely } from './telemetry-failure.js';
import { withoutInstrumentation } from './without-instrumentation.js';
import { captureWhenRecording } from '../../deferred/recording-context.js';

// Every `recordEvent` keeps the trace context active at that moment (when an SDK is registered and a
// span or baggage is active): the message's `create` span is its child, however later the flush runs.
captureWhenRecording(recordingTraceContext);

function recordingTraceContext(): Context | undefined {
  const otel = tracingOtel();
  if (otel === undefined) return undefined;
  return safely(
    otel,
    () => {
      const active = otel.context.active();
      const meaningful =
        otel.trace.getSpan(active) !== undefined || otel.propagation.getBaggage(active) !== undefined;
      return meaningful ? active : undefined;
    },
    undefined,
  );
}

/** What a producer span describes: a message on its way to an exchange. */
interface ProducedMessage {
  readonly exchange: string;
  readonly routingKey: string;
  readonly content: Uint8Array;
  readonly properties: {
    readonly messageId?: string | undefined;
    readonly correlationId?: string | undefined;
    readonly headers?: Record<string, unknown> | undefined;
  };
}

/**
 * The `create` span of a message written to the outbox, when an SDK is registered: a child of `parent`
 * (the context captured when its event was recorded), else of the context active while the row is
 * encoded (inside the business transaction: the request's), ended at once, and injected into the
 * message's headers, so that the row carries it and whoever consumes the message, however late,
 * continues the request's trace. `headers` must be the message's own object (it is written to). Does
 * nothing without an SDK, or when the headers carry a trace context already. A tracer or propagator
 * that throws is reported, never thrown into the flush.
 */
export function traceCreation(
  message: ProducedMessage,
  id: string,
  headers: Record<string, unknown>,
  parent?: unknown,
): void {
  const otel = tracingOtel();
  if (otel === undefined) return;
  safely(otel, () => createSpan(otel, message, id, headers, parent as Context | undefined), undefined);
}

function createSpan(
  otel: Otel,
  message: ProducedMessage,
  id: string,
  headers: Record<string, unknown>,
  parent: Context | undefined,
): void {
  if (carriesContext(otel, headers)) return;
  const active = parent ?? otel.context.active();
  const span = otel.trace
    .getTracer(TRACER_NAME)
    .startSpan(
      `create ${message.exchange}`,
      { kind: otel.SpanKind.PRODUCER, attributes: producerAttributes('create', message, id) },
      active,
    );
  try {
    otel.propagation.inject(otel.trace.setSpan(active, span), headers, headerSetter);
  } finally {
    span.end();
  }
}

/**
 * Publishes `message` in a `send` span when an SDK is registered, and counts it
 * (`messaging.client.sent.messages`) when a meter provider is; else it is `transport.publish`, with
 * nothing allocated.
 *
 * - `direct` (`Publisher.send`): the span is a child of the active context and, as no `create` span was
 *   made, its context is the message's creation context: injected into the headers (unless they carry
 *   one already).
 * - `outbox` (the relay): the message goes out unchanged, as the outbox stored it. The relay runs in the
 *   background with no context of its own, so the span's parent is the creation context the row carries
 *   (the `create` span): the hop through the outbox shows in the request's trace. It also links to it, as
 *   the conventions ask of a `send` span whose messages were created earlier.
 */
export function publishTraced(
  transport: Transport,
  message: OutgoingMessage,
  options: PublishOptions | undefined,
  from: 'direct' | 'outbox',
): Promise<void> {
  const otel = tracingOtel();
  const metrics = messagingMetrics();
  if (otel === undefined && metrics === undefined) {
    return options === undefined ? transport.publish(message) : transport.publish(message, options);
  }
  return publishObserved(otel, metrics, transport, message, options, from);
}

async function publishObserved(
  otel: Otel | undefined,
  metrics: MessagingMetrics | undefined,
  transport: Transport,
  message: OutgoingMessage,
  options: PublishOptions | undefined,
  from: 'direct' | 'outbox',
): Promise<void> {
  // Every telemetry call is guarded: a failing SDK must not fail, lose or repeat the publish, which runs
  // exactly once whatever the telemetry does.
  const span =
    otel === undefined ? undefined : safely(otel, () => startSendSpan(otel, message, from), undefined);
  const started = performance.now();
  const publish = (): Promise<void> =>
    options === undefined ? transport.publish(message) : transport.publish(message, options);
  try {
    await (otel === undefined ? publish() : withoutInstrumentation(otel, publish));
  } catch (error) {
    if (metrics !== undefined)
      safely(otel, () => recordSent(metrics, message.exchange, started, { error }), undefined);
    if (otel !== undefined && span !== undefined) safely(otel, () => failSpan(otel, span, error), undefined);
    throw error;
  } finally {
    if (span !== undefined) safely(otel, () => span.end(), undefined);
  }
  if (metrics !== undefined) safely(otel, () => recordSent(metrics, message.exchange, started), undefined);
}

/** Marks a span failed: status ERROR with the message, `error.type` the error's class. */
export function failSpan(otel: Otel, span: Span, error: unknown): void {
  span.setAttribute(ATTR.errorType, errorType(error));
  span.setStatus({
    code: otel.SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}

function startSendSpan(otel: Otel, message: OutgoingMessage, from: 'direct' | 'outbox'): Span {
  const headers = message.properties.headers ?? {};
  let parent: Context;
  const links: Link[] = [];
  if (from === 'outbox') {
    parent = otel.propagation.extract(otel.ROOT_CONTEXT, headers, headerGetter);
    const created = otel.trace.getSpanContext(parent);
    if (created !== undefined && otel.trace.isSpanContextValid(created)) links.push({ context: created });
  } else {
    parent = otel.context.active();
  }
  const span = otel.trace.getTracer(TRACER_NAME).startSpan(
    `send ${message.exchange}`,
    {
      kind: otel.SpanKind.PRODUCER,
      attributes: producerAttributes('send', message, message.properties.messageId),
      links,
    },
    parent,
  );
  // Guarded apart, so that the span started above is still ended when the propagator throws.
  safely(
    otel,
    () => {
      if (from === 'outbox' || carriesContext(otel, headers)) return;
      // The message's own headers object (encodeOutgoing made it for this message).
      message.properties.headers = headers;
      otel.propagation.inject(otel.trace.setSpan(parent, span), headers, headerSetter);
    },
    undefined,
  );
  return span;
}

export function producerAttributes(
  operation: OperationType,
  message: ProducedMessage,
  messageId: string | undefined,
): Attributes {
  const attributes: Attributes = {
    [ATTR.system]: MESSAGING_SYSTEM,
    [ATTR.operationType]: operation,
    [ATTR.operationName]: operation,
    [ATTR.destination]: message.exchange,
    [ATTR.bodySize]: message.content.byteLength,
  };
  if (message.routingKey !== '') attributes[ATTR.routingKey] = message.routingKey;
  if (messageId !== undefined) attributes[ATTR.messageId] = messageId;
  const { correlationId } = message.properties;
  if (correlationId !== undefined) attributes[ATTR.conversationId] = correlationId;
  return attributes;
}
