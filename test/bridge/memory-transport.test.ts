import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBroker } from '../../src/adapters/memory/memory-broker.js';
import { MemoryTransport } from '../../src/adapters/memory/memory-transport.js';
import type { Delivery, Transport } from '../../src/messaging/transport.js';
import { InvalidArgumentError } from '../../src/errors/invalid-argument-error.js';
import { eventually, gate, QUIET_MS, sleep } from '../contract/harness.js';
import { transportContract } from '../contract/transport-contract.js';

const sharedBroker = new MemoryBroker();
transportContract('MemoryTransport', () => new MemoryTransport({ broker: sharedBroker }));

describe('MemoryTransport', () => {
  const opened: Transport[] = [];
  const open = (broker = new MemoryBroker()): MemoryTransport => {
    const transport = new MemoryTransport({ broker });
    opened.push(transport);
    return transport;
  };
  const body = (d: Delivery): string => d.content.toString();

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((t) => t.close({ timeoutMs: 100 })));
  });

  it('transports created without a broker share the process-wide default broker', async () => {
    const queue = `q-${randomUUID()}`;
    const [billing, orders] = [new MemoryTransport(), new MemoryTransport()];
    opened.push(billing, orders);
    expect(billing.broker).toBe(MemoryBroker.default);
    await billing.declare({ queues: [{ name: queue }] });
    const received: string[] = [];
    await billing.consume(queue, async (d) => void (received.push(body(d)) && d.ack()), { prefetch: 1 });

    await orders.publish({ exchange: '', routingKey: queue, content: Buffer.from('hi'), properties: {} });

    await eventually(() => received.length === 1, 'the delivery');
    expect(received).toEqual(['hi']);
    await orders.deleteQueue(queue);
  });

  it('separate brokers are isolated', async () => {
    const queue = 'isolated';
    await open().declare({ queues: [{ name: queue }] });
    expect(await open().queueStats(queue)).toBeUndefined();
  });

  it('copies content and headers: neither the publisher nor a consumer can change a stored message', async () => {
    const t = open();
    await t.declare({ queues: [{ name: 'q' }] });
    const content = Buffer.from('original');
    const headers = { nested: { value: 'original' }, list: ['original'] };
    const publishing = t.publish({ exchange: '', routingKey: 'q', content, properties: { headers } });
    content.write('mutated!');
    headers.nested.value = 'mutated';
    headers.list[0] = 'mutated';
    await publishing;

    const first = (await t.get('q'))!;
    expect(body(first)).toBe('original');
    first.content.write('changed!');
    (first.properties.headers.nested as { value: string }).value = 'changed';
    first.nack({ requeue: true });

    const again = (await t.get('q'))!;
    expect(body(again)).toBe('original');
    expect(again.properties.headers).toEqual({ nested: { value: 'original' }, list: ['original'] });
  });

  it('never calls a handler inside publish', async () => {
    const t = open();
    await t.declare({ queues: [{ name: 'q' }] });
    let calls = 0;
    await t.consume('q', async (d) => void (calls++, d.ack()), { prefetch: 10 });

    const publishing = t.publish({
      exchange: '',
      routingKey: 'q',
      content: Buffer.from('x'),
      properties: {},
    });
    expect(calls).toBe(0);
    await publishing;
    expect(calls).toBe(0);
    await eventually(() => calls === 1, 'the delivery');
  });

  it('serves consumers round-robin', async () => {
    const t = open();
    await t.declare({ queues: [{ name: 'q' }] });
    const got: string[] = [];
    for (const name of ['a', 'b', 'c']) {
      await t.consume('q', async (d) => void (got.push(`${name}:${body(d)}`), d.ack()), { prefetch: 5 });
    }
    for (let i = 1; i <= 6; i++) {
      await t.publish({ exchange: '', routingKey: 'q', content: Buffer.from(`${i}`), properties: {} });
    }
    await eventually(() => got.length === 6, 'all deliveries');
    expect(got).toEqual(['a:1', 'b:2', 'c:3', 'a:4', 'b:5', 'c:6']);
  });

  it('moves many messages with synchronous acks quickly and in order', async () => {
    const t = open();
    await t.declare({ queues: [{ name: 'q' }] });
    const got: number[] = [];
    await t.consume('q', async (d) => void (got.push(Number(body(d))), d.ack()), { prefetch: 50 });
    const count = 20_000;
    for (let i = 0; i < count; i++) {
      await t.publish({ exchange: '', routingKey: 'q', content: Buffer.from(String(i)), properties: {} });
    }
    await eventually(() => got.length === count, 'every delivery', 10_000);
    expect(got.every((value, index) => value === index)).toBe(true);
  });

  it('a handler that rejects after settling is reported but not settled again', async () => {
    const t = open();
    await t.declare({
      queues: [{ name: 'q', deadLetterExchange: '', deadLetterRoutingKey: 'dead' }, { name: 'dead' }],
    });
    const errors: Error[] = [];
    t.on('error', (error) => errors.push(error));
    await t.consume(
      'q',
      async (d) => {
        d.ack();
        throw new Error('after ack');
      },
      { prefetch: 1 },
    );
    await t.publish({ exchange: '', routingKey: 'q', content: Buffer.from('x'), properties: {} });
    await eventually(() => errors.length === 1, 'the error');
    expect(errors[0]!.message).toBe('after ack');
    expect(await t.queueStats('dead')).toEqual({ messageCount: 0, consumerCount: 0 });
  });

  it('deleting a queue cancels its consumers and reports it', async () => {
    const t = open();
    await t.declare({ queues: [{ name: 'q' }] });
    const errors: Error[] = [];
    t.on('error', (error) => errors.push(error));
    const consumer = await t.consume('q', async () => {}, { prefetch: 1 });
    await t.deleteQueue('q');
    expect(errors.map((e) => e.message)).toEqual([
      'The consumer of queue "q" was cancelled: the queue was deleted',
    ]);
    await consumer.cancel();
  });

  it('unsettled deliveries of a cancelled consumer are requeued when the transport closes', async () => {
    const broker = new MemoryBroker();
    const [service, admin] = [open(broker), open(broker)];
    await admin.declare({ queues: [{ name: 'q' }] });
    const held: Delivery[] = [];
    const consumer = await service.consume('q', async (d) => void held.push(d), { prefetch: 1 });
    await admin.publish({ exchange: '', routingKey: 'q', content: Buffer.from('x'), properties: {} });
    await eventually(() => held.length === 1, 'the delivery');
    await consumer.cancel();
    expect(await admin.queueStats('q')).toEqual({ messageCount: 0, consumerCount: 0 });

    await service.close();

    expect(await admin.queueStats('q')).toEqual({ messageCount: 1, consumerCount: 0 });
    expect(held[0]!.ack()).toBe(false);
  });

  it('requeues unsettled deliveries at close in their original order', async () => {
    const broker = new MemoryBroker();
    const [service, admin] = [open(broker), open(broker)];
    await admin.declare({ queues: [{ name: 'q' }] });
    for (const n of ['1', '2', '3']) {
      await admin.publish({ exchange: '', routingKey: 'q', content: Buffer.from(n), properties: {} });
    }
    const held: Delivery[] = [];
    await service.consume('q', async (d) => void held.push(d), { prefetch: 3 });
    await eventually(() => held.length === 3, 'three deliveries');
    await service.close();
    const order: string[] = [];
    for (let d = await admin.get('q'); d; d = await admin.get('q')) {
      order.push(body(d));
      d.ack();
    }
    expect(order).toEqual(['1', '2', '3']);
  });

  it('a running handler may still publish and ack while the transport closes', async () => {
    const t = open();
    await t.declare({ queues: [{ name: 'q' }, { name: 'next' }] });
    const release = gate();
    let outcome: unknown;
    await t.consume(
      'q',
      async (d) => {
        await release.promise;
        outcome = await t
          .publish({ exchange: '', routingKey: 'next', content: d.content, properties: {} })
          .then(
            () => d.ack(),
            (error: unknown) => error,
          );
      },
      { prefetch: 1 },
    );
    await t.publish({ exchange: '', routingKey: 'q', content: Buffer.from('x'), properties: {} });
    await sleep(QUIET_MS);
    const closing = t.close();
    await expect(t.get('next')).rejects.toThrow(/closed/);
    release.open();
    await closing;
    expect(outcome).toBe(true);
    expect(t.broker.queue('next')?.messageCount).toBe(1);
  });

  it('records x-death like RabbitMQ across several queues, newest first', async () => {
    const t = open();
    await t.declare({
      queues: [
        { name: 'a', deadLetterExchange: '', deadLetterRoutingKey: 'b' },
        { name: 'b', messageTtlMs: 10, deadLetterExchange: '', deadLetterRoutingKey: 'c' },
        { name: 'c' },
      ],
    });
    await t.publish({
      exchange: '',
      routingKey: 'a',
      content: Buffer.from('x'),
      properties: { expiration: '60000' },
    });
    (await t.get('a'))!.nack({ requeue: false });
    await eventually(async () => (await t.queueStats('c'))?.messageCount === 1, 'arrival in c');
    const delivery = (await t.get('c'))!;
    expect(delivery.properties.expiration).toBeUndefined();
    expect(delivery.properties.headers).toMatchObject({
      'x-death': [
        { queue: 'b', reason: 'expired', exchange: '', 'routing-keys': ['b'], count: 1 },
        {
          queue: 'a',
          reason: 'rejected',
          exchange: '',
          'routing-keys': ['a'],
          'original-expiration': '60000',
        },
      ],
      'x-first-death-queue': 'a',
      'x-first-death-reason': 'rejected',
      'x-last-death-queue': 'b',
      'x-last-death-reason': 'expired',
    });
  });

  it('ignores an x-death header set by a publisher, as RabbitMQ 4 does', async () => {
    const t = open();
    await t.declare({
      queues: [{ name: 'q', deadLetterExchange: '', deadLetterRoutingKey: 'dead' }, { name: 'dead' }],
    });
    const forged = { 'x-death': [{ queue: 'q', reason: 'rejected', count: 7 }] };
    await t.publish({
      exchange: '',
      routingKey: 'q',
      content: Buffer.from('x'),
      properties: { headers: forged },
    });
    (await t.get('q'))!.nack({ requeue: false });
    const dead = (await t.get('dead'))!;
    expect(dead.properties.headers['x-death']).toEqual([expect.objectContaining({ queue: 'q', count: 1 })]);
  });

  it('expires only from the head of a queue, as RabbitMQ does', async () => {
    const t = open();
    await t.declare({ queues: [{ name: 'q' }] });
    const publish = (text: string, expiration?: string): Promise<void> =>
      t.publish({ exchange: '', routingKey: 'q', content: Buffer.from(text), properties: { expiration } });
    await publish('no ttl');
    await publish('short ttl', '10');
    await sleep(30);
    expect(await t.queueStats('q')).toMatchObject({ messageCount: 2 });
    (await t.get('q'))!.ack();
    expect(await t.get('q')).toBeUndefined(); // expired once it reached the head: never delivered
  });

  // A consumer keeps the process alive as a RabbitMQ connection's socket does (a consuming service, or a
  // script waiting for a repeat, must not exit under its own feet); TTL timers and unsettled deliveries
  // do not. The unref'd timer below fires only if something else keeps the process alive.
  it.each([
    ['consumer.cancel()', 'await consumer.cancel()'],
    ['transport.close()', 'await t.close()'],
  ])('keeps the process alive while it has a consumer, until %s', (_, stop) => {
    const entry = fileURLToPath(new URL('../../src/adapters/memory/memory-transport.ts', import.meta.url));
    const script = `
      import { MemoryTransport } from ${JSON.stringify(entry)};
      const t = new MemoryTransport();
      await t.declare({ queues: [{ name: 'wait', messageTtlMs: 3600000, deadLetterExchange: '' }, { name: 'work' }] });
      await t.publish({ exchange: '', routingKey: 'wait', content: Buffer.from('x'), properties: { expiration: '7200000' } });
      await t.publish({ exchange: '', routingKey: 'work', content: Buffer.from('y'), properties: {} });
      const consumer = await t.consume('work', async () => {}, { prefetch: 1 });
      setTimeout(async () => { ${stop}; console.log('stopped'); }, 300).unref();
      console.log('consuming');
    `;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(child.stderr).toBe('');
    expect(child.stdout.trim().split('\n')).toEqual(['consuming', 'stopped']);
    expect(child.status).toBe(0);
  });

  it('does not keep the process alive with TTL timers or a publisher alone', () => {
    const entry = fileURLToPath(new URL('../../src/adapters/memory/memory-transport.ts', import.meta.url));
    const script = `
      import { MemoryTransport } from ${JSON.stringify(entry)};
      const t = new MemoryTransport();
      await t.declare({ queues: [{ name: 'wait', messageTtlMs: 3600000, deadLetterExchange: '' }] });
      await t.publish({ exchange: '', routingKey: 'wait', content: Buffer.from('x'), properties: { expiration: '7200000' } });
      console.log('done');
    `;
    const started = Date.now();
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(child.stderr).toBe('');
    expect(child.stdout.trim()).toBe('done');
    expect(child.status).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('rejects bad messages, specs and options with InvalidArgumentError', async () => {
    const t = open();
    await t.declare({ queues: [{ name: 'q' }] });
    const send = (message: object): Promise<void> => t.publish(message as never);
    const ok = { exchange: '', routingKey: 'q', content: Buffer.from('x'), properties: {} };
    for (const [message, pattern] of [
      [{ ...ok, content: 'text' }, /content must be a Buffer/],
      [{ ...ok, properties: { expiration: 5000 } }, /expiration must be a string/],
      [{ ...ok, properties: { expiration: '-1' } }, /expiration/],
      [{ ...ok, properties: { deliveryMode: 3 } }, /deliveryMode must be 1 or 2/],
      [{ ...ok, properties: { messageID: 'x' } }, /unknown option "messageID"/],
      [{ ...ok, properties: { headers: { fn: () => 1 } } }, /headers\.fn is function/],
      [{ ...ok, routingKey: 'k'.repeat(256) }, /longer than 255 bytes/],
      [{ ...ok, extra: 1 }, /unknown option "extra"/],
    ] as const) {
      await expect(send(message)).rejects.toThrow(pattern);
    }
    await expect(t.publish(ok, { timeoutMs: 0 })).rejects.toThrow(InvalidArgumentError);
    await expect(t.declare({ exchanges: [{ name: 'x', type: 'fan' as never }] })).rejects.toThrow(
      /type must be/,
    );
    await expect(t.declare({ exchanges: [{ name: '', type: 'topic' }] })).rejects.toThrow(/default exchange/);
    await expect(t.declare({ queues: [{ name: 'r', deadLetterRoutingKey: 'k' }] })).rejects.toThrow(
      /needs a deadLetterExchange/,
    );
    await expect(t.declare({ queues: [{ name: 'r', messageTtlMs: -1 }] })).rejects.toThrow(/messageTtlMs/);
    await expect(t.declare({ queues: [{ name: 'amq.mine' }] })).rejects.toThrow(/reserved/);
    await expect(t.declare({ bindings: [{ queue: 'q', exchange: '', pattern: 'q' }] })).rejects.toThrow(
      /default exchange/,
    );
    await expect(t.deleteExchange('amq.topic')).rejects.toThrow(/built in/);
    await expect(t.close({ timeoutMs: -1 })).rejects.toThrow(InvalidArgumentError);
    expect(() => new MemoryTransport({ brokr: null } as never)).toThrow(/unknown option "brokr"/);
    const delivery = (await t.get('q')) ?? (await send(ok), await t.get('q'));
    expect(() => delivery!.nack({} as never)).toThrow(/requeue must be true or false/);
    expect(delivery!.ack()).toBe(true);
  });

  it('reset() empties a broker and tells its consumers', async () => {
    const broker = new MemoryBroker();
    const t = open(broker);
    await t.declare({ exchanges: [{ name: 'x', type: 'topic' }], queues: [{ name: 'q' }] });
    const errors: Error[] = [];
    t.on('error', (e) => errors.push(e));
    await t.consume('q', async () => {}, { prefetch: 1 });
    broker.reset();
    expect(await t.queueStats('q')).toBeUndefined();
    expect(errors).toHaveLength(1);
    await t.declare({ exchanges: [{ name: 'x', type: 'fanout' }] }); // no conflict: it is gone
    await t
      .publish({ exchange: 'amq.topic', routingKey: 'k', content: Buffer.from('x'), properties: {} })
      .catch((e: unknown) => expect((e as Error).name).toBe('UnroutableError'));
  });
});
