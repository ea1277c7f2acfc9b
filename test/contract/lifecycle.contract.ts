import { expect, it } from 'vitest';
import type { Delivery } from '../../src/messaging/transport.js';
import { InvalidArgumentError } from '../../src/errors/invalid-argument-error.js';
import { TopologyConflictError } from '../../src/errors/topology-conflict-error.js';
import { TransportClosedError } from '../../src/errors/transport-closed-error.js';
import { eventually, gate, QUIET_MS, sleep } from './harness.js';
import type { ContractContext } from './transport-contract.js';

export function lifecycleContract({ harness }: ContractContext): void {
  it('declaring the same topology again is fine', async () => {
    const h = harness();
    const [exchange, queue] = [h.name('orders'), h.name('work')];
    const topology = {
      exchanges: [{ name: exchange, type: 'topic' as const, durable: true }],
      queues: [
        { name: queue, deadLetterExchange: '', deadLetterRoutingKey: h.name('dead'), messageTtlMs: 60_000 },
      ],
      bindings: [{ queue, exchange, pattern: 'order.#' }],
    };
    await h.declare(topology);
    await h.publish(exchange, 'order.placed', 'kept');

    await h.declare(topology);

    await h.readyCount(queue, 1);
  });

  it('declaring a queue again with other arguments rejects with TopologyConflictError; nothing changes', async () => {
    const h = harness();
    const queue = h.name('ttl');
    await h.declare({ queues: [{ name: queue, messageTtlMs: 60_000 }] });
    await h.publish('', queue, 'kept');

    const error = await h
      .declare({ queues: [{ name: queue, messageTtlMs: 30_000 }] })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TopologyConflictError);
    expect(error).toMatchObject({ kind: 'queue', resource: queue });
    expect((error as TopologyConflictError).detail).toMatch(/x-message-ttl/);
    await expect(
      h.declare({ queues: [{ name: queue, messageTtlMs: 60_000, deadLetterExchange: 'elsewhere' }] }),
    ).rejects.toThrow(/x-dead-letter-exchange/);
    // The transport still works and the queue kept its message.
    await h.readyCount(queue, 1);
    await h.publish('', queue, 'still works');
    await h.readyCount(queue, 2);
  });

  it('declaring an exchange again with another type rejects with TopologyConflictError', async () => {
    const h = harness();
    const exchange = h.name('typed');
    await h.declare({ exchanges: [{ name: exchange, type: 'topic' }] });

    const error = await h
      .declare({ exchanges: [{ name: exchange, type: 'fanout' }] })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TopologyConflictError);
    expect(error).toMatchObject({ kind: 'exchange', resource: exchange });
    expect((error as TopologyConflictError).detail).toMatch(/type/);
  });

  it('binding to a missing exchange or queue rejects, naming it', async () => {
    const h = harness();
    const [exchange, queue] = [h.name('present'), h.name('present-queue')];
    await h.declare({ exchanges: [{ name: exchange, type: 'topic' }], queues: [{ name: queue }] });
    const [missingExchange, missingQueue] = [h.name('absent'), h.name('absent-queue')];

    await expect(
      h.declare({ bindings: [{ queue, exchange: missingExchange, pattern: '#' }] }),
    ).rejects.toThrow(missingExchange);
    await expect(h.declare({ bindings: [{ queue: missingQueue, exchange, pattern: '#' }] })).rejects.toThrow(
      missingQueue,
    );
    await h.publish('', queue, 'still works');
  });

  it('queueStats counts ready messages and consumers; undefined for a missing queue', async () => {
    const h = harness();
    const queue = h.name('stats');
    await h.declare({ queues: [{ name: queue }] });
    expect(await h.transport.queueStats(h.name('missing'))).toBeUndefined();
    expect(await h.transport.queueStats(queue)).toEqual({ messageCount: 0, consumerCount: 0 });
    for (const body of ['a', 'b', 'c']) await h.publish('', queue, body);
    await h.readyCount(queue, 3);

    const held = await h.transport.get(queue);
    const inbox = await h.inbox(queue, { prefetch: 1, settle: 'hold' });
    await inbox.receive(1);

    // Delivered but unsettled messages are not ready.
    await h.readyCount(queue, 1);
    expect(await h.transport.queueStats(queue)).toEqual({ messageCount: 1, consumerCount: 1 });
    held!.ack();
    inbox.deliveries[0]!.ack();
  });

  it('purgeQueue removes the ready messages, not the unsettled ones, and returns how many', async () => {
    const h = harness();
    const queue = h.name('purge');
    await h.declare({ queues: [{ name: queue }] });
    for (const body of ['a', 'b', 'c']) await h.publish('', queue, body);
    await h.readyCount(queue, 3);
    const held = await h.transport.get(queue);

    expect(await h.transport.purgeQueue(queue)).toBe(2);

    expect(await h.transport.queueStats(queue)).toEqual({ messageCount: 0, consumerCount: 0 });
    held!.nack({ requeue: true });
    await h.readyCount(queue, 1);
    expect(await h.transport.purgeQueue(queue)).toBe(1);
  });

  it('deleting queues and exchanges is idempotent; a deleted queue is gone with its messages', async () => {
    const h = harness();
    const [exchange, queue] = [h.name('doomed'), h.name('doomed-queue')];
    await h.declare({
      exchanges: [{ name: exchange, type: 'fanout' }],
      queues: [{ name: queue }],
      bindings: [{ queue, exchange, pattern: '' }],
    });
    await h.publish(exchange, 'any.key', 'lost with the queue');

    await h.transport.deleteQueue(queue);
    await h.transport.deleteQueue(queue);
    await h.transport.deleteExchange(exchange);
    await h.transport.deleteExchange(exchange);

    expect(await h.transport.queueStats(queue)).toBeUndefined();
    await h.declare({ queues: [{ name: queue }] });
    expect(await h.transport.queueStats(queue)).toEqual({ messageCount: 0, consumerCount: 0 });
  });

  it('operations on a missing queue reject, naming it', async () => {
    const h = harness();
    const missing = h.name('nowhere');
    await expect(h.transport.get(missing)).rejects.toThrow(missing);
    await expect(h.transport.purgeQueue(missing)).rejects.toThrow(missing);
    await expect(h.transport.consume(missing, async () => {}, { prefetch: 1 })).rejects.toThrow(missing);
    await h.transport.connect(); // still usable
  });

  it('bad arguments reject with InvalidArgumentError naming the culprit', async () => {
    const h = harness();
    const queue = h.name('valid');
    await h.declare({ queues: [{ name: queue }] });
    const t = h.transport;
    const handler = async (): Promise<void> => {};

    await expect(t.consume('', handler, { prefetch: 1 })).rejects.toThrow(InvalidArgumentError);
    for (const prefetch of [0, -1, 1.5, '2', undefined]) {
      await expect(t.consume(queue, handler, { prefetch } as never)).rejects.toThrow(/prefetch/);
    }
    await expect(t.consume(queue, handler, { prefetch: 1, prefetsh: 2 } as never)).rejects.toThrow(
      /unknown option "prefetsh"/,
    );
    await expect(t.declare({ queues: [{ name: '' }] })).rejects.toThrow(InvalidArgumentError);
    await expect(t.declare({ queues: [{ name: queue, messageTTL: 5 }] } as never)).rejects.toThrow(
      /unknown option "messageTTL"/,
    );
    await expect(t.get('')).rejects.toThrow(InvalidArgumentError);
    expect(await t.queueStats(queue)).toEqual({ messageCount: 0, consumerCount: 0 });
  });

  it("connect emits 'connected' once; close is idempotent and later calls reject TransportClosedError", async () => {
    const h = harness();
    const transport = await h.open();
    const events: string[] = [];
    transport.on('connected', () => events.push('connected'));
    transport.on('disconnected', () => events.push('disconnected'));
    await transport.connect();
    await transport.connect();
    const queue = h.name('closing');
    await h.declare({ queues: [{ name: queue }] }, transport);

    await transport.close();
    await transport.close();

    expect(events).toEqual(['connected', 'disconnected']);
    await expect(h.publish('', queue, 'late', {}, transport)).rejects.toThrow(TransportClosedError);
    await expect(transport.declare({ queues: [{ name: queue }] })).rejects.toThrow(TransportClosedError);
    await expect(transport.consume(queue, async () => {}, { prefetch: 1 })).rejects.toThrow(
      TransportClosedError,
    );
    await expect(transport.get(queue)).rejects.toThrow(TransportClosedError);
    await expect(transport.connect()).rejects.toThrow(TransportClosedError);
  });

  it('health() is down before the first connection, up while connected, down once closed', async () => {
    const h = harness();
    const transport = await h.open();
    const fresh = transport.health();
    expect(fresh).toMatchObject({ status: 'down', state: 'idle', connected: false, blocked: false });
    await transport.connect();
    const open = transport.health();
    expect(open).toMatchObject({ status: 'up', state: 'open', connected: true, blocked: false });
    expect(open.since.getTime()).toBeGreaterThanOrEqual(fresh.since.getTime());
    expect(open.url).not.toMatch(/:\/\/[^/@]*:(?!\*\*\*@)[^/@]*@/); // a password is masked
    await transport.close();
    expect(transport.health()).toMatchObject({ status: 'down', state: 'closed', connected: false });
  });

  it('close waits for running handlers, then requeues what is still unsettled', async () => {
    const h = harness();
    const queue = h.name('graceful');
    await h.declare({ queues: [{ name: queue }] });
    const service = await h.open();
    const release = gate();
    const seen: Delivery[] = [];
    await h.consume(
      queue,
      async (delivery) => {
        seen.push(delivery);
        if (delivery.content.toString() === 'finishes') {
          await release.promise;
          delivery.ack();
        }
        // 'held' is left unsettled: close() must give it back.
      },
      10,
      service,
    );
    await h.publish('', queue, 'finishes');
    await h.publish('', queue, 'held');
    await eventually(() => seen.length === 2, 'both deliveries');

    let closed = false;
    const closing = service.close({ timeoutMs: 5000 }).then(() => (closed = true));
    await sleep(QUIET_MS);
    expect(closed).toBe(false);
    release.open();
    await closing;

    const held = seen.find((d) => d.content.toString() === 'held')!;
    expect(held.ack()).toBe(false);
    await h.readyCount(queue, 1);
    const again = await h.transport.get(queue);
    expect(again!.content.toString()).toBe('held');
    expect(again!.redelivered).toBe(true);
    again!.ack();
  });

  it('close gives up on handlers after timeoutMs and requeues their deliveries', async () => {
    const h = harness();
    const queue = h.name('stuck');
    await h.declare({ queues: [{ name: queue }] });
    const service = await h.open();
    const never = gate();
    const seen: Delivery[] = [];
    await h.consume(
      queue,
      async (delivery) => {
        seen.push(delivery);
        await never.promise;
      },
      1,
      service,
    );
    await h.publish('', queue, 'stuck');
    await eventually(() => seen.length === 1, 'the delivery');

    await service.close({ timeoutMs: 50 });

    await h.readyCount(queue, 1);
    expect(seen[0]!.ack()).toBe(false);
    never.open();
  });
}
