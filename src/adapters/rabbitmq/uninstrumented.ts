/** What the wrapper of an OpenTelemetry instrumentation (its shimmer) leaves on the function it installs. */
interface Wrapped {
  readonly __wrapped?: unknown;
  readonly __original?: unknown;
}

/**
 * `target[name]`: the amqplib method beneath the wrappers that instrumentations install (OpenTelemetry's
 * shimmer marks each with `__wrapped` and keeps the original as `__original`), else the method itself.
 *
 * tidings makes its own spans (a `process` span per delivery, with the messaging conventions'
 * attributes, a child of the message's creation context). `@opentelemetry/instrumentation-amqplib`
 * wraps `Channel.consume` to start another span per message, from the headers alone, before tidings
 * sees the message: the only way not to have every delivery traced twice is to consume through the
 * unwrapped method. Other code of the service that uses amqplib directly keeps the instrumentation.
 */
export function uninstrumented<T extends object, K extends keyof T>(target: T, name: K): T[K] {
  let found: unknown = target[name];
  while (typeof found === 'function' && (found as Wrapped).__wrapped === true) {
    const original = (found as Wrapped).__original;
    if (typeof original !== 'function') break;
    found = original;
  }
  return found as T[K];
}
