// Telemetry failures are isolated: a propagator, tracer, span processor, exporter or meter that throws
// never fails, loses or repeats a message. Each publish goes out once, each delivery is handled once
// and acked once, the outbox row is written and relayed once; the failure is reported as a warning.
import {
  context,
  metrics,
  propagation,
  trace,
  type Meter,
  type MeterProvider,
  type TextMapPropagator,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, expect, it, vi } from 'vitest';
import {
  Bridge,
  encodeOutboxMessage,
  EventDispatcher,
  InMemoryUnitOfWork,
  MemoryBroker,
  MemoryOutbox,
  MemoryTransport,
  OutboxRelay,
  Publisher,
  type SettledOutcome,
} from '../../src/index.js';
import { TELEMETRY_FAILED_WARNING } from '../../src/messaging/telemetry/telemetry-failure.js';
import { resetOtel } from './otel-sdk.js';

const boom = (): never => {
  throw new Error('telemetry is broken');
};

const throwingPropagator: TextMapPropagator = { inject: boom, extract: boom, fields: () => ['traceparent'] };
const throwingProcessor: SpanProcessor = {
  onStart: boom,
  onEnd: boom,
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};
const throwingExporter: SpanExporter = { export: boom, shutdown: () => Promise.resolve() };
const throwingMeter = new Proxy({} as Meter, { get: () => boom });
const throwingMeterProvider: MeterProvider = { getMeter: () => throwingMeter };

function installTracing(spanProcessors: SpanProcessor[], propagator: TextMapPropagator): void {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors }));
  propagation.setGlobalPropagator(propagator);
}

const SETUPS: Record<string, () => void> = {
  'a propagator that throws': () => installTracing([], throwingPropagator),
  'a span processor that throws': () => installTracing([throwingProcessor], new W3CTraceContextPropagator()),
  'an exporter that throws': () =>
    installTracing([new SimpleSpanProcessor(throwingExporter)], new W3CTraceContextPropagator()),
  'a meter provider that throws': () => metrics.setGlobalMeterProvider(throwingMeterProvider),
  'a meter whose instruments throw': () =>
    metrics.setGlobalMeterProvider({
      getMeter: () => ({ ...throwingHistograms(), createCounter: () => ({ add: boom }) }) as unknown as Meter,
    }),
};

function throwingHistograms(): Partial<Meter> {
  return {
    createHistogram: () => ({ record: boom }),
  };
}

afterEach(() => {
  resetOtel();
  vi.restoreAllMocks();
});

it.each(Object.keys(SETUPS))('with %s, every message is published once and acked once', async (setup) => {
  const warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
  SETUPS[setup]!();
  const transport = new MemoryTransport({ broker: new MemoryBroker() });
  const publish = vi.spyOn(transport, 'publish');
  const billing = new Bridge({ dispatcher: new EventDispatcher(), transport, appId: 'billing' });
  const settled: SettledOutcome[] = [];
  const handled: string[] = [];
  billing.on('settled', (outcome) => settled.push(outcome));
  billing.consume({
    queue: 'billing.orders',
    bindingKeys: ['order.placed'],
    handler: (message) => void handled.push((message.payload as { orderId: string }).orderId),
  });
  await billing.start();
  try {
    await new Publisher(transport, { appId: 'shop' }).send({ orderId: 'direct' }, 'order.placed');
    const outbox = new MemoryOutbox();
    const row = encodeOutboxMessage({ orderId: 'outbox' }, 'order.placed', { appId: 'shop' });
    await new InMemoryUnitOfWork().transaction((tx) => outbox.add([row], tx));
    expect(await new OutboxRelay({ outbox, transport }).relayOnce()).toBe(1);
    expect(await new OutboxRelay({ outbox, transport }).relayOnce()).toBe(0);
    const deadline = Date.now() + 5000;
    while (settled.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    await new Promise((resolve) => setTimeout(resolve, 50)); // a repeat or redelivery would show by now
  } finally {
    await billing.close();
  }
  expect(handled.sort()).toEqual(['direct', 'outbox']);
  expect(settled.map((outcome) => outcome.outcome)).toEqual(['acked', 'acked']);
  expect(publish).toHaveBeenCalledTimes(2);
  expect((await transport.queueStats('billing.orders'))?.messageCount).toBe(0);
  // Reported, never thrown (the warning is emitted once per process: by the first of these cases).
  if (setup === Object.keys(SETUPS)[0]) {
    expect(warnings).toHaveBeenCalledWith(expect.stringContaining('telemetry is broken'), {
      code: TELEMETRY_FAILED_WARNING,
    });
  }
});
