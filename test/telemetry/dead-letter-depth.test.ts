// The dead-letter queue's depth: an observable gauge registered while consumers consume, asked of the
// transport once per collection and per dead-letter queue (however many consumers share it), never on
// the message path, and no longer asked once the last consumer closed.
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { Consumer, MemoryBroker, MemoryTransport, Publisher, type SettledOutcome } from '../../src/index.js';
import { resetOtel } from './otel-sdk.js';
import { eventually, installMeter, type TestMeter } from './test-meter.js';

let meter: TestMeter;

beforeEach(() => {
  meter = installMeter();
});

afterEach(async () => {
  await meter.shutdown();
  resetOtel();
});

it('reports the messages waiting in the dead-letter queue, asked once per collection', async () => {
  const transport = new MemoryTransport({ broker: new MemoryBroker() });
  const queueStats = vi.spyOn(transport, 'queueStats');
  const orders = new Consumer(transport, {
    queue: 'billing.orders',
    bindingKeys: ['order.placed'],
    appId: 'billing',
    maxAttempts: 1,
  });
  const refunds = new Consumer(transport, {
    queue: 'billing.refunds',
    bindingKeys: ['refund.issued'],
    appId: 'billing',
  });
  const settled: SettledOutcome[] = [];
  orders.on('settled', (outcome) => settled.push(outcome));
  await orders.consume(() => {
    throw new Error('no such customer');
  });
  await refunds.consume(() => {});
  expect(orders.deadLetter.queue).toBe(refunds.deadLetter.queue);
  const depth = { 'tidings.dead_letter.queue': orders.deadLetter.queue };
  try {
    expect(await meter.points('tidings.dead_letter.queue.depth')).toEqual([{ attributes: depth, value: 0 }]);
    const publisher = new Publisher(transport, { appId: 'shop' });
    await publisher.send({ orderId: 'o-1' }, 'order.placed');
    await publisher.send({ orderId: 'o-2' }, 'order.placed');
    await eventually(async () => settled.length, 2);
    // Nothing asked on the message path: only the collections above and below.
    expect(queueStats).toHaveBeenCalledTimes(1);
    expect(await meter.points('tidings.dead_letter.queue.depth')).toEqual([{ attributes: depth, value: 2 }]);
    expect(queueStats).toHaveBeenCalledTimes(2);
    await refunds.close();
    expect(await meter.points('tidings.dead_letter.queue.depth')).toEqual([{ attributes: depth, value: 2 }]);
    expect(queueStats).toHaveBeenCalledTimes(3);
  } finally {
    await orders.close();
    await refunds.close();
  }
  await meter.collected('tidings.dead_letter.queue.depth');
  expect(queueStats).toHaveBeenCalledTimes(3);
});
