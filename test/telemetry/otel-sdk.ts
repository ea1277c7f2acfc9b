// An OpenTelemetry SDK registered globally, as a service would register it (no tidings option), with
// spans kept in memory. `uninstall()` resets the global state, so that no other test file sees it.
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';

export interface InstalledOtel {
  readonly exporter: InMemorySpanExporter;
  /**
   * The finished spans named `name`, in the order they started (a repeat's delivery can be processed
   * before the attempt that sent it has ended its span).
   */
  spans(name: string): ReadableSpan[];
  /** The one finished span named `name`. */
  span(name: string): ReadableSpan;
  /**
   * Resolves once `count` spans named `name` have ended: a consumer emits `settled` before its `process`
   * span ends.
   */
  ended(name: string, count?: number): Promise<void>;
  uninstall(): Promise<void>;
}

export function installOtel(): InstalledOtel {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
  const spans = (name: string) =>
    exporter
      .getFinishedSpans()
      .filter((span) => span.name === name)
      .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
  return {
    exporter,
    spans,
    span(name) {
      const found = spans(name);
      if (found.length !== 1) {
        const all = exporter.getFinishedSpans().map((span) => span.name);
        throw new Error(`expected one span "${name}", found ${found.length} among ${JSON.stringify(all)}`);
      }
      return found[0]!;
    },
    async ended(name, count = 1) {
      const deadline = Date.now() + 5000;
      while (spans(name).length < count) {
        if (Date.now() > deadline)
          throw new Error(`${spans(name).length} of ${count} "${name}" spans after 5 s`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    async uninstall() {
      await provider.shutdown();
      resetOtel();
      contextManager.disable();
    },
  };
}

/** No SDK: every global OpenTelemetry registration removed. */
export function resetOtel(): void {
  metrics.disable();
  trace.disable();
  context.disable();
  propagation.disable();
}

/** The span id of a span's parent, `undefined` for a root span. */
export function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}
