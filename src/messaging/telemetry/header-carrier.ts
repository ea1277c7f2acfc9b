import type { TextMapGetter, TextMapSetter } from '@opentelemetry/api';
import type { Otel } from './otel-api.js';

/**
 * Message headers as a propagation carrier: `traceparent`, `tracestate` and `baggage` (the W3C
 * propagators' fields, whatever propagator is registered) are plain string headers.
 */
export const headerSetter: TextMapSetter<Record<string, unknown>> = {
  set(headers, key, value) {
    headers[key] = value;
  },
};

/** Reads them back; amqplib may hand a header over as a Buffer (a byte array on the wire). */
export const headerGetter: TextMapGetter<Readonly<Record<string, unknown>>> = {
  keys: (headers) => Object.keys(headers),
  get(headers, key) {
    const value = headers[key];
    if (typeof value === 'string') return value;
    return Buffer.isBuffer(value) ? value.toString('utf8') : undefined;
  },
};

/**
 * Whether the headers carry a trace context already: the caller's own (a message forwarded with its
 * `traceparent`, headers copied from another message) is kept, never overwritten with ours. Baggage
 * alone is no trace context.
 */
export function carriesContext(otel: Otel, headers: Readonly<Record<string, unknown>>): boolean {
  return otel.propagation.fields().some((field) => field !== 'baggage' && headers[field] !== undefined);
}
