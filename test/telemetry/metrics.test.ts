// The messaging conventions' metrics through the global MeterProvider, with no tidings option:
// messages sent (directly and by the relay), consumed, and how long processing took, failures with
// their `error.type`. A meter provider alone traces nothing: no headers are injected.
import { metrics, type Attributes } from '@opentelemetry/api';
import {
  MeterProvider,
  MetricReader,
  type DataPoint,
  type Histogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { afterEach, beforeEach, expect, it } from 'vitest';
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
import { resetOtel } from './otel-sdk.js';

/** A reader the test collects from when it wants (`collect()`), instead of on a timer. */
class TestReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

class PaymentDeclined extends Error {
  override readonly name = 'PaymentDeclined';
}

let reader: TestReader;
let provider: MeterProvider;

beforeEach(() => {
  reader = new TestReader();
  provider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(provider);
});

afterEach(async () => {
  await provider.shutdown();
  resetOtel();
});

async function collected(name: string): Promise<MetricData | undefined> {
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics.scopeMetrics
    .filter((scope) => scope.scope.name === 'tidings')
    .flatMap((scope) => scope.metrics)
    .find((metric) => metric.descriptor.name === name);
}

/** Each data point as its attributes and value (a histogram's: its count). */
function points(metric: MetricData | undefined): { attributes: Attributes; value: number }[] {
  return ((metric?.dataPoints ?? []) as DataPoint<number | Histogram>[]).map((point) => ({
    attributes: point.attributes,
    value: typeof point.value === 'number' ? point.value : point.value.count,
  }));
}

it('counts sent and consumed messages and records processing durations, failures with error.type', async () => {
  const transport = new MemoryTransport({ broker: new MemoryBroker() });
  const billing = new Bridge({ dispatcher: new EventDispatcher(), transport, appId: 'billing' });
  const settled: SettledOutcome[] = [];
  const received: Record<string, unknown>[] = [];
  billing.on('settled', (outcome) => settled.push(outcome));
  let calls = 0;
  billing.consume({
    queue: 'billing.orders',
    bindingKeys: ['order.placed'],
    repeatDelaysMs: [0],
    handler: (message) => {
      received.push(message.headers);
      if (++calls === 1) throw new PaymentDeclined('card declined');
    },
  });
  await billing.start();
  try {
    await new Publisher(transport, { appId: 'shop' }).send({ orderId: 'o-1' }, 'order.placed');
    const outbox = new MemoryOutbox();
    const row = encodeOutboxMessage({ orderId: 'o-2' }, 'order.placed', { appId: 'shop' });
    await new InMemoryUnitOfWork().transaction((tx) => outbox.add([row], tx));
    expect(await new OutboxRelay({ outbox, transport }).relayOnce()).toBe(1);
    const deadline = Date.now() + 5000;
    while (settled.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(settled.map((outcome) => outcome.outcome).sort()).toEqual(['acked', 'acked', 'repeated']);
    // The consumer emits `settled` before its observation of the delivery ends.
    const consumed = async () =>
      points(await collected('messaging.client.consumed.messages')).reduce((sum, p) => sum + p.value, 0);
    while ((await consumed()) < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  } finally {
    await billing.close();
  }

  const common = {
    'messaging.system': 'rabbitmq',
    'messaging.destination.name': 'order',
  };
  expect(points(await collected('messaging.client.sent.messages'))).toEqual([
    { attributes: { ...common, 'messaging.operation.name': 'send' }, value: 2 },
  ]);
  const consumer = {
    ...common,
    'messaging.operation.name': 'process',
    'messaging.destination.subscription.name': 'billing.orders',
  };
  const byErrorType = (a: { attributes: Attributes }, b: { attributes: Attributes }) =>
    String(a.attributes['error.type']).localeCompare(String(b.attributes['error.type']));
  expect(points(await collected('messaging.client.consumed.messages')).sort(byErrorType)).toEqual([
    { attributes: { ...consumer, 'error.type': 'PaymentDeclined' }, value: 1 },
    { attributes: consumer, value: 2 },
  ]);
  const duration = await collected('messaging.process.duration');
  expect(duration?.descriptor.unit).toBe('s');
  expect(points(duration).sort(byErrorType)).toEqual([
    { attributes: { ...consumer, 'error.type': 'PaymentDeclined' }, value: 1 },
    { attributes: consumer, value: 2 },
  ]);
  // Metrics alone: no trace context is injected anywhere.
  for (const headers of received) expect(headers['traceparent']).toBeUndefined();
});
