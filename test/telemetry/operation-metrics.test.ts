// messaging.client.operation.duration for publishes (send) and settles (ack, copy-then-ack), and
// tidings' counters of repeats and dead letters by reason, through the global MeterProvider.
import { afterEach, beforeEach, expect, it } from 'vitest';
import {
  Bridge,
  EventDispatcher,
  MemoryBroker,
  MemoryTransport,
  Publisher,
  type SettledOutcome,
} from '../../src/index.js';
import { resetOtel } from './otel-sdk.js';
import { eventually, installMeter, type TestMeter } from './test-meter.js';

class PaymentDeclined extends Error {
  override readonly name = 'PaymentDeclined';
}

let meter: TestMeter;

beforeEach(() => {
  meter = installMeter();
});

afterEach(async () => {
  await meter.shutdown();
  resetOtel();
});

it('counts 2 repeats then 1 dead letter (repeats-exhausted) and times each publish and settle', async () => {
  const transport = new MemoryTransport({ broker: new MemoryBroker() });
  const billing = new Bridge({ dispatcher: new EventDispatcher(), transport, appId: 'billing' });
  const settled: SettledOutcome[] = [];
  billing.on('settled', (outcome) => settled.push(outcome));
  billing.consume({
    queue: 'billing.orders',
    bindingKeys: ['order.placed'],
    maxAttempts: 3,
    repeatDelaysMs: [0],
    handler: () => {
      throw new PaymentDeclined('card declined');
    },
  });
  await billing.start();
  try {
    await new Publisher(transport, { appId: 'shop' }).send({ orderId: 'o-1' }, 'order.placed');
    await eventually(() => meter.total('tidings.consumer.dead_letters'), 1);
    await eventually(() => meter.total('messaging.client.consumed.messages'), 3);
  } finally {
    await billing.close();
  }
  expect(settled.map((outcome) => outcome.outcome)).toEqual(['repeated', 'repeated', 'dead-lettered']);

  const counted = {
    'messaging.system': 'rabbitmq',
    'messaging.destination.name': 'order',
    'messaging.destination.subscription.name': 'billing.orders',
    'error.type': 'PaymentDeclined',
  };
  expect(await meter.points('tidings.consumer.repeats')).toEqual([{ attributes: counted, value: 2 }]);
  expect(await meter.points('tidings.consumer.dead_letters')).toEqual([
    { attributes: { ...counted, 'tidings.dead_letter.reason': 'repeats-exhausted' }, value: 1 },
  ]);

  const duration = await meter.collected('messaging.client.operation.duration');
  expect(duration?.descriptor.unit).toBe('s');
  expect(await meter.points('messaging.client.operation.duration')).toEqual([
    {
      attributes: {
        'messaging.system': 'rabbitmq',
        'messaging.operation.type': 'send',
        'messaging.operation.name': 'send',
        'messaging.destination.name': 'order',
      },
      value: 1,
    },
    {
      attributes: {
        'messaging.system': 'rabbitmq',
        'messaging.operation.type': 'settle',
        'messaging.operation.name': 'ack',
        'messaging.destination.name': 'order',
        'messaging.destination.subscription.name': 'billing.orders',
      },
      value: 3,
    },
  ]);
  // The copies are part of the settles: only the original publish is a sent message.
  expect(await meter.total('messaging.client.sent.messages')).toBe(1);
});

it('records a failed publish with error.type on its duration', async () => {
  const transport = new MemoryTransport({ broker: new MemoryBroker() });
  await expect(
    new Publisher(transport, { appId: 'shop' }).send({ orderId: 'o-1' }, 'order.placed', {
      exchange: 'no-such-exchange',
    }),
  ).rejects.toThrow();
  const points = await meter.points('messaging.client.operation.duration');
  expect(points).toHaveLength(1);
  expect(points[0]!.attributes['error.type']).toMatch(/Error$/);
});
