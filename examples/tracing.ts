// OpenTelemetry tracing through the outbox: with an SDK registered globally (as a service registers it
// for its HTTP server and database client), tidings traces with no option of its own. A request flushes
// an order, its outbox row carries the request's trace context, the relay publishes it, and the consumer's
// handler runs in the same trace — through a repeat. The spans are printed as the tree a tracing backend
// would draw; a service would export them with OTLP instead.
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import {
  AggregateRoot,
  Bridge,
  EventDispatcher,
  Flusher,
  InMemoryUnitOfWork,
  MemoryOutbox,
  MemoryTransport,
  OutboxRelay,
} from 'tidings';

// #region sdk
// What @opentelemetry/sdk-node's NodeSDK does for you: a tracer provider, the W3C propagators and an
// AsyncLocalStorage context manager, registered globally. (An OTLP exporter instead of this one.)
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
trace.setGlobalTracerProvider(provider);
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(
  new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
);
// #endregion

class OrderPlaced {
  static eventName = 'order.placed';
  constructor(readonly orderId: string) {}
}
class Order extends AggregateRoot {
  place(orderId: string): this {
    this.recordEvent(new OrderPlaced(orderId));
    return this;
  }
}

// #region service
// Nothing here knows about tracing: the same shop and billing code as without it.
const transport = new MemoryTransport();
const shop = new EventDispatcher();
const flusher = new Flusher({ dispatcher: shop, unitOfWork: new InMemoryUnitOfWork() });
const outbox = new MemoryOutbox();
const relay = new OutboxRelay({ outbox, transport });
new Bridge({ dispatcher: shop, transport, appId: 'shop' })
  .forward(OrderPlaced, { routingKey: 'order.placed' })
  .useOutbox(flusher, outbox, relay);

const billing = new Bridge({ dispatcher: new EventDispatcher(), transport, appId: 'billing' });
let attempts = 0;
billing.consume({
  queue: 'billing.orders',
  bindingKeys: ['order.placed'],
  repeatDelaysMs: [50],
  handler: () => {
    const tenant = propagation.getActiveBaggage()?.getEntry('tenant')?.value;
    if (++attempts === 1) throw new Error(`payment service unavailable (tenant ${tenant})`);
  },
});
await billing.start();
relay.start();

// The request: an HTTP instrumentation would have started this span (and the baggage) for you.
const tracer = trace.getTracer('shop');
const baggage = propagation.createBaggage({ tenant: { value: 't-42' } });
await context.with(propagation.setBaggage(context.active(), baggage), () =>
  tracer.startActiveSpan('POST /orders', async (span) => {
    await flusher.flush(new Order().place('o-1'));
    span.end();
  }),
);
// #endregion

// Wait for the repeat to be handled, then print the trace.
const processed = () => exporter.getFinishedSpans().filter((s) => s.name === 'process billing.orders');
while (processed().length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
printTree(exporter.getFinishedSpans());

await relay.stop();
await billing.close();
await transport.close();
await provider.shutdown();

/**
 * Each span under its parent, in start order, with the attributes a backend shows first. Two spans can
 * start within one tick of the clock (the settle span and the copy's send span it starts at once):
 * then the longer one, the one that encloses the other's work, comes first.
 */
function printTree(spans: readonly ReadableSpan[]): void {
  const sorted = [...spans].sort(
    (a, b) =>
      a.startTime[0] - b.startTime[0] ||
      a.startTime[1] - b.startTime[1] ||
      b.duration[0] - a.duration[0] ||
      b.duration[1] - a.duration[1],
  );
  const ids = new Set(sorted.map((span) => span.spanContext().spanId));
  const traces = new Set(sorted.map((span) => span.spanContext().traceId));
  console.log(`${traces.size} trace, ${sorted.length} spans`);
  const print = (parentId: string | undefined, depth: number): void => {
    for (const span of sorted) {
      const parent = span.parentSpanContext?.spanId;
      if (parentId === undefined ? parent !== undefined && ids.has(parent) : parent !== parentId) continue;
      const outcome = span.attributes['tidings.outcome'];
      const details = [
        outcome === undefined ? '' : ` ${String(outcome)}`,
        span.attributes['tidings.attempt'] === undefined
          ? ''
          : ` attempt ${String(span.attributes['tidings.attempt'])}`,
        span.attributes['error.type'] === undefined
          ? ''
          : ` error.type=${String(span.attributes['error.type'])}`,
      ].join('');
      console.log(`${'  '.repeat(depth)}${span.name}${details}`);
      print(span.spanContext().spanId, depth + 1);
    }
  };
  print(undefined, 0);
}
