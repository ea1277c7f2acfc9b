import type { Span } from '@opentelemetry/api';
import type { OutgoingMessage, Transport } from '../transport.js';
import { headerGetter } from './header-carrier.js';
import { tracingOtel, type Otel } from './otel-api.js';
import { failSpan, producerAttributes } from './producer-spans.js';
import { TRACER_NAME } from './semconv.js';
import { safely } from './telemetry-failure.js';
import { withoutInstrumentation } from './without-instrumentation.js';

/**
 * Publishes a copy of a message in a `send` span when an SDK is registered, else it is
 * `transport.publish`, with nothing allocated. The copy keeps the original's headers, its creation
 * context among them, so nothing is injected: the next `process` span still sits under the message's
 * `create` (or first `send`) span.
 *
 * - `settle`: the repeat or dead letter a consumer sends; the span is a child of the active context,
 *   the `process` span of the delivery being settled. No `messaging.client.sent.messages`: the copy is
 *   part of the settle, which `messaging.client.operation.duration` times as a whole.
 * - `replay`: a dead letter sent back to its queue (run from the CLI or a script, with no context of
 *   its own): the span's parent is the message's creation context, which it also links to, so the
 *   replay shows in the trace of the request that produced the message.
 */
export function publishCopy(
  transport: Transport,
  message: OutgoingMessage,
  kind: 'settle' | 'replay',
): Promise<void> {
  const otel = tracingOtel();
  if (otel === undefined) return transport.publish(message);
  return publishCopyTraced(otel, transport, message, kind);
}

async function publishCopyTraced(
  otel: Otel,
  transport: Transport,
  message: OutgoingMessage,
  kind: 'settle' | 'replay',
): Promise<void> {
  const span = safely(otel, () => startCopySpan(otel, message, kind), undefined);
  try {
    await withoutInstrumentation(otel, () => transport.publish(message));
  } catch (error) {
    if (span !== undefined) safely(otel, () => failSpan(otel, span, error), undefined);
    throw error;
  } finally {
    if (span !== undefined) safely(otel, () => span.end(), undefined);
  }
}

function startCopySpan(otel: Otel, message: OutgoingMessage, kind: 'settle' | 'replay'): Span {
  // The default exchange routes by queue name: the queue (or wait queue) names the copy's destination.
  const destination = message.exchange === '' ? message.routingKey : message.exchange;
  const options = {
    kind: otel.SpanKind.PRODUCER,
    attributes: producerAttributes('send', message, message.properties.messageId),
  };
  const tracer = otel.trace.getTracer(TRACER_NAME);
  if (kind === 'settle') return tracer.startSpan(`send ${destination}`, options);
  const created = otel.propagation.extract(otel.ROOT_CONTEXT, message.properties.headers ?? {}, headerGetter);
  const link = otel.trace.getSpanContext(created);
  const links = link !== undefined && otel.trace.isSpanContextValid(link) ? [{ context: link }] : [];
  return tracer.startSpan(`send ${destination}`, { ...options, links }, created);
}
