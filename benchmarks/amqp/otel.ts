// An OpenTelemetry SDK registered globally, the way a service registers one (tidings has no tracing
// option of its own: it traces whenever an SDK is there): a BasicTracerProvider with a
// BatchSpanProcessor (what production setups use) in front of an exporter that drops the spans (no
// network, no memory growth), an AsyncLocalStorage context manager and the W3C propagators. See
// examples/tracing.ts and test/telemetry/otel-sdk.ts. Only the "OTel SDK" cases' processes load it.
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

export interface Tracing {
  /** Spans handed to the exporter so far (after `shutdown`: all of them). */
  readonly exported: () => number;
  /** Flushes the processor and unregisters nothing: the process ends right after. */
  shutdown(): Promise<void>;
}

export async function installTracing(): Promise<Tracing> {
  const [{ context, propagation, trace }, { AsyncLocalStorageContextManager }, core, sdk] = await Promise.all(
    [
      import('@opentelemetry/api'),
      import('@opentelemetry/context-async-hooks'),
      import('@opentelemetry/core'),
      import('@opentelemetry/sdk-trace-base'),
    ],
  );
  let exported = 0;
  const exporter: SpanExporter = {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void) {
      exported += spans.length;
      done({ code: core.ExportResultCode.SUCCESS });
    },
    shutdown: async () => {},
  };
  const provider = new sdk.BasicTracerProvider({
    spanProcessors: [new sdk.BatchSpanProcessor(exporter)],
  });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new core.CompositePropagator({
      propagators: [new core.W3CTraceContextPropagator(), new core.W3CBaggagePropagator()],
    }),
  );
  return {
    exported: () => exported,
    shutdown: () => provider.shutdown(),
  };
}
