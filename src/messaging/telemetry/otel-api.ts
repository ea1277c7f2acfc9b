import type * as OtelApi from '@opentelemetry/api';
import { requireOptional } from '../../internal/require-optional.js';

/** The `@opentelemetry/api` module, as tidings uses it. */
export type Otel = typeof OtelApi;

/**
 * Where `@opentelemetry/api` 1.x keeps what an SDK registered globally (`internal/global-utils.ts`): one
 * object per process, shared by every copy of the API (ESM or CommonJS, any 1.x version), holding
 * `trace`, `propagation` and `context` once set. Reading it needs no import: this is the check that makes
 * tracing free when no SDK is registered.
 */
const GLOBAL_KEY = Symbol.for('opentelemetry.js.api.1');

interface Registered {
  trace?: unknown;
  propagation?: unknown;
  metrics?: unknown;
}

/** `undefined`: not tried yet; `null`: registered globals but no loadable `@opentelemetry/api`. */
let loaded: Otel | null | undefined;

/**
 * The OpenTelemetry API when an SDK registered a tracer provider or a propagator globally, else
 * `undefined` (nothing to trace: callers take their plain path, allocating nothing). The API is loaded on
 * the first call that finds a registration (it is an optional peer: without it, tracing stays off), and
 * the registration is read on every call, so that an SDK started after tidings was imported (or
 * `trace.disable()`) takes effect at once.
 */
export function tracingOtel(): Otel | undefined {
  const registered = (globalThis as { [GLOBAL_KEY]?: Registered })[GLOBAL_KEY];
  if (registered === undefined || (registered.trace === undefined && registered.propagation === undefined)) {
    return undefined;
  }
  return load();
}

/** The OpenTelemetry API when an SDK registered a meter provider globally, else `undefined` (as above). */
export function meteringOtel(): Otel | undefined {
  const registered = (globalThis as { [GLOBAL_KEY]?: Registered })[GLOBAL_KEY];
  return registered?.metrics === undefined ? undefined : load();
}

function load(): Otel | undefined {
  // Not `??=`: a failed load (null) is not tried again on every message.
  if (loaded === undefined) loaded = isOtelApi(requireOptional('@opentelemetry/api')) ?? null;
  return loaded ?? undefined;
}

function isOtelApi(module: unknown): Otel | undefined {
  const api = module as Partial<Otel> | undefined;
  return typeof api?.trace?.getTracer === 'function' && typeof api.propagation?.inject === 'function'
    ? (api as Otel)
    : undefined;
}
