import type { Otel } from './otel-api.js';

/** The code of the process warning tidings emits the first time its telemetry fails. */
export const TELEMETRY_FAILED_WARNING = 'TIDINGS_TELEMETRY_FAILED';

let warned = false;

/**
 * Reports a failure of the telemetry itself (a propagator, tracer, span processor or meter that threw):
 * to OpenTelemetry's diagnostic logger every time (silent unless the service set one), and once per
 * process as a Node.js warning, so that a broken setup is noticed without flooding the log. Never
 * throws: the message it was observing goes on as if no SDK were registered.
 */
export function telemetryFailed(otel: Otel | undefined, error: unknown): void {
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const message = `tidings: OpenTelemetry failed (${detail}); the message went on without it`;
  try {
    otel?.diag.warn(message);
  } catch {
    // A diagnostic logger that throws is ignored like the rest.
  }
  if (warned) return;
  warned = true;
  process.emitWarning(message, { code: TELEMETRY_FAILED_WARNING });
}

/**
 * `observe()`, or `fallback` when it throws (the failure reported): telemetry must never fail, lose or
 * repeat a message. Only for telemetry calls: the message's own work never runs inside.
 */
export function safely<T>(otel: Otel | undefined, observe: () => T, fallback: T): T {
  try {
    return observe();
  } catch (error) {
    telemetryFailed(otel, error);
    return fallback;
  }
}
