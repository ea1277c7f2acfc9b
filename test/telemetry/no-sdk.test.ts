// Without an OpenTelemetry SDK registered, tracing costs nothing: `@opentelemetry/api` is not even
// loaded, and messages carry exactly the headers they carried before tracing existed. With an SDK
// registered but no loadable `@opentelemetry/api` (an optional peer), nothing breaks either.
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  Consumer,
  encodeOutboxMessage,
  MemoryBroker,
  MemoryOutbox,
  MemoryTransport,
  OutboxRelay,
  Publisher,
  InMemoryUnitOfWork,
  type Delivery,
} from '../../src/index.js';
import type * as RequireOptional from '../../src/internal/require-optional.js';
import { installOtel, resetOtel } from './otel-sdk.js';

const loads = vi.hoisted(() => ({ count: 0, refuse: false }));
vi.mock('../../src/internal/require-optional.js', async (importOriginal) => {
  const original = await importOriginal<typeof RequireOptional>();
  return {
    requireOptional: (name: string) => {
      loads.count++;
      return loads.refuse ? undefined : original.requireOptional(name);
    },
  };
});

afterEach(() => resetOtel());

async function queueOf(transport: MemoryTransport): Promise<() => Promise<Delivery>> {
  await transport.declare({
    exchanges: [{ name: 'order', type: 'topic' }],
    queues: [{ name: 'billing.orders' }],
    bindings: [{ queue: 'billing.orders', exchange: 'order', pattern: 'order.placed' }],
  });
  return async () => {
    const delivery = await transport.get('billing.orders');
    if (delivery === undefined) throw new Error('no message');
    delivery.ack();
    return delivery;
  };
}

describe('no OpenTelemetry SDK registered', () => {
  it('injects nothing and never loads @opentelemetry/api, sent directly or through the outbox', async () => {
    resetOtel();
    const transport = new MemoryTransport({ broker: new MemoryBroker() });
    const next = await queueOf(transport);
    const headers = { 'x-tenant': 't-1' };
    await new Publisher(transport, { appId: 'shop' }).send({ orderId: 'o-1' }, 'order.placed', { headers });
    const sent = await next();
    expect(sent.properties.headers).toStrictEqual({ 'x-tenant': 't-1', 'x-tidings-origin': 'shop' });

    const row = encodeOutboxMessage({ orderId: 'o-1' }, 'order.placed', { appId: 'shop', headers });
    expect(row.properties.headers).toStrictEqual({ 'x-tenant': 't-1', 'x-tidings-origin': 'shop' });
    const outbox = new MemoryOutbox();
    await new InMemoryUnitOfWork().transaction((tx) => outbox.add([row], tx));
    expect(await new OutboxRelay({ outbox, transport }).relayOnce()).toBe(1);
    const relayed = await next();
    expect(relayed.content.equals(sent.content)).toBe(true);
    expect(relayed.properties.headers).toStrictEqual(sent.properties.headers);
    expect(headers).toStrictEqual({ 'x-tenant': 't-1' }); // the caller's object is never written to
    expect(loads.count).toBe(0);
  });

  it('a running relay and a consumer that repeats and dead-letters never load @opentelemetry/api', async () => {
    resetOtel();
    const transport = new MemoryTransport({ broker: new MemoryBroker() });
    const outbox = new MemoryOutbox();
    const relay = new OutboxRelay({ outbox, transport, pollIntervalMs: 5 });
    const consumer = new Consumer(transport, {
      queue: 'billing.orders',
      bindingKeys: ['order.placed'],
      appId: 'billing',
      maxAttempts: 2,
      repeatDelaysMs: [0],
    });
    const outcomes: string[] = [];
    consumer.on('settled', (settled) => outcomes.push(settled.outcome));
    await consumer.consume(() => {
      throw new Error('declined');
    });
    relay.start();
    try {
      const row = encodeOutboxMessage({ orderId: 'o-3' }, 'order.placed', { appId: 'shop' });
      await new InMemoryUnitOfWork().transaction((tx) => outbox.add([row], tx));
      relay.nudge();
      const deadline = Date.now() + 5000;
      while (outcomes.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(outcomes).toEqual(['repeated', 'dead-lettered']);
    } finally {
      await relay.stop();
      await consumer.close();
    }
    expect(loads.count).toBe(0);
  });

  it('an SDK registered without a loadable @opentelemetry/api: no spans, no headers, no error', async () => {
    loads.refuse = true;
    const otel = installOtel();
    try {
      const transport = new MemoryTransport({ broker: new MemoryBroker() });
      const next = await queueOf(transport);
      await new Publisher(transport, { appId: 'shop' }).send({ orderId: 'o-2' }, 'order.placed');
      expect((await next()).properties.headers).toStrictEqual({ 'x-tidings-origin': 'shop' });
      const row = encodeOutboxMessage({ orderId: 'o-2' }, 'order.placed', { appId: 'shop' });
      expect(row.properties.headers).toStrictEqual({ 'x-tidings-origin': 'shop' });
      expect(otel.exporter.getFinishedSpans()).toEqual([]);
      expect(loads.count).toBe(1); // tried once, not on every message
    } finally {
      await otel.uninstall();
      loads.refuse = false;
    }
  });
});
