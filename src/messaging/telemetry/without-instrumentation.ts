import type { Context } from '@opentelemetry/api';
import type { Otel } from './otel-api.js';
import { telemetryFailed } from './telemetry-failure.js';

/**
 * The context key with which OpenTelemetry's SDK suppresses tracing (`suppressTracing()` in
 * `@opentelemetry/core`). Context keys are `Symbol.for(description)`, so the API alone makes the same
 * key: no dependency on `@opentelemetry/core`.
 */
const SUPPRESS_TRACING = 'OpenTelemetry SDK Context Key SUPPRESS_TRACING';

/** `context` with tracing suppressed: the SDK's tracer answers non-recording spans, propagators inject nothing. */
function suppressed(otel: Otel, context: Context): Context {
  return context.setValue(otel.createContextKey(SUPPRESS_TRACING), true);
}

/**
 * Runs `work` (a publish to the broker, which tidings traces itself) with tracing suppressed, so that an
 * instrumentation of the client library beneath (`@opentelemetry/instrumentation-amqplib`) adds neither
 * a second `publish` span nor its own `traceparent` over tidings' (which would cut the consumer's
 * `process` span off the message's creation context). Nothing but the transport's publish runs inside:
 * the user's spans are never suppressed.
 *
 * A context manager that fails before running `work` is reported, and `work` runs without it: exactly
 * once either way.
 */
export function withoutInstrumentation<T>(otel: Otel, work: () => T): T {
  let ran = false;
  const run = (): T => {
    ran = true;
    return work();
  };
  try {
    return otel.context.with(suppressed(otel, otel.context.active()), run);
  } catch (error) {
    if (ran) throw error;
    telemetryFailed(otel, error);
    return work();
  }
}
