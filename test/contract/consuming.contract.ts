import { expect, it } from 'vitest';
import type { Delivery } from '../../src/messaging/transport.js';
import { eventually, gate, QUIET_MS, sleep } from './harness.js';
import type { ContractContext } from './transport-contract.js';

export function consumingContract({ harness }: ContractContext): void {
  it('prefetch bounds the unsettled deliveries of a consumer', async () => {
    const h = harness();
    const queue = h.name('prefetch');
    await h.declare({ queues: [{ name: queue }] });
    for (let i = 1; i <= 5; i++) await h.publish('', queue, `m${i}`);
    await h.readyCount(queue, 5);
    let unsettled = 0;
    let mostUnsettled = 0;
    const held: Delivery[] = [];
    await h.consume(
      queue,
      async (delivery) => {
        unsettled++;
        mostUnsettled = Math.max(mostUnsettled, unsettled);
        held.push(delivery);
      },
      2,
    );
    const ackAll = (): void => {
      for (const delivery of held.splice(0)) {
        unsettled--;
        delivery.ack();
      }
    };

    await eventuallyLength(held, 2);
    await sleep(QUIET_MS);
    expect(held.length).toBe(2);
    await h.readyCount(queue, 3);

    ackAll();
    await eventuallyLength(held, 2);
    await sleep(QUIET_MS);
    expect(held.map((d) => d.content.toString())).toEqual(['m3', 'm4']);

    ackAll();
    await eventuallyLength(held, 1);
    ackAll();
    expect(mostUnsettled).toBe(2);
    await h.readyCount(queue, 0);
  });

  it("a queue's consumers share its messages", async () => {
    const h = harness();
    const queue = h.name('shared');
    await h.declare({ queues: [{ name: queue }] });
    const first = await h.inbox(queue, { prefetch: 10 });
    const second = await h.inbox(queue, { prefetch: 10 });

    for (let i = 1; i <= 6; i++) await h.publish('', queue, `m${i}`);

    await eventually(() => first.deliveries.length + second.deliveries.length === 6, 'all 6 deliveries');
    expect(first.deliveries.length).toBeGreaterThan(0);
    expect(second.deliveries.length).toBeGreaterThan(0);
  });

  it('nack with requeue redelivers the same message, marked redelivered', async () => {
    const h = harness();
    const queue = h.name('requeue');
    await h.declare({ queues: [{ name: queue }] });
    const seen: Delivery[] = [];
    await h.consume(
      queue,
      async (delivery) => {
        seen.push(delivery);
        if (seen.length === 1) delivery.nack({ requeue: true });
        else delivery.ack();
      },
      1,
    );

    await h.publish('', queue, 'again', { messageId: 'm-1', headers: { attempt: 1 } });

    await eventuallyLength(seen, 2);
    const [first, second] = seen;
    expect(first!.redelivered).toBe(false);
    expect(second!.redelivered).toBe(true);
    expect(second!.content.toString()).toBe('again');
    expect(second!.properties).toMatchObject({ messageId: 'm-1', headers: { attempt: 1 } });
    await h.readyCount(queue, 0);
  });

  it('settling twice is harmless: the second call returns false', async () => {
    const h = harness();
    const queue = h.name('twice');
    await h.declare({ queues: [{ name: queue }] });
    const inbox = await h.inbox(queue, { settle: 'hold' });
    await h.publish('', queue, 'once');

    const [delivery] = await inbox.receive(1);
    expect(delivery!.ack()).toBe(true);
    expect(delivery!.ack()).toBe(false);
    expect(delivery!.nack({ requeue: true })).toBe(false);
    expect(delivery!.nack({ requeue: false })).toBe(false);

    await sleep(QUIET_MS);
    expect(inbox.deliveries.length).toBe(1);
    expect(await h.transport.queueStats(queue)).toEqual({ messageCount: 0, consumerCount: 1 });
  });

  it('cancel stops deliveries and waits for the handlers still running', async () => {
    const h = harness();
    const queue = h.name('cancel');
    await h.declare({ queues: [{ name: queue }] });
    const release = gate();
    const started: string[] = [];
    const consumer = await h.consume(queue, async (delivery) => {
      started.push(delivery.content.toString());
      await release.promise;
      delivery.ack();
    });
    await h.publish('', queue, 'first');
    await eventuallyLength(started, 1);

    let cancelled = false;
    const cancelling = consumer.cancel().then(() => (cancelled = true));
    await sleep(QUIET_MS);
    expect(cancelled).toBe(false);
    release.open();
    await cancelling;

    await h.publish('', queue, 'second');
    await h.readyCount(queue, 1);
    await sleep(QUIET_MS);
    expect(started).toEqual(['first']);
    expect(await h.transport.queueStats(queue)).toEqual({ messageCount: 1, consumerCount: 0 });
  });

  it('a delivery left unsettled by a cancelled consumer can still be settled', async () => {
    const h = harness();
    const queue = h.name('after-cancel');
    await h.declare({ queues: [{ name: queue }] });
    const inbox = await h.inbox(queue, { settle: 'hold' });
    await h.publish('', queue, 'held');
    const [delivery] = await inbox.receive(1);

    await inbox.consumer.cancel();

    expect(delivery!.ack()).toBe(true);
    expect(await h.transport.queueStats(queue)).toEqual({ messageCount: 0, consumerCount: 0 });
  });

  it('get takes one message at a time, and undefined from an empty queue', async () => {
    const h = harness();
    const queue = h.name('get');
    await h.declare({ queues: [{ name: queue }] });
    expect(await h.transport.get(queue)).toBeUndefined();
    await h.publish('', queue, 'one', { messageId: 'id-1' });
    await h.publish('', queue, 'two');
    await h.readyCount(queue, 2);

    const first = await h.transport.get(queue);
    expect(first).toMatchObject({ queue, exchange: '', routingKey: queue, redelivered: false });
    expect(first!.properties.messageId).toBe('id-1');
    expect(first!.nack({ requeue: true })).toBe(true);
    const again = await h.transport.get(queue);
    expect(again!.content.toString()).toBe('one');
    expect(again!.redelivered).toBe(true);
    expect(again!.ack()).toBe(true);

    const second = await h.transport.get(queue);
    expect(second!.content.toString()).toBe('two');
    expect(await h.transport.queueStats(queue)).toEqual({ messageCount: 0, consumerCount: 0 });
    second!.ack();
    expect(await h.transport.get(queue)).toBeUndefined();
  });
}

function eventuallyLength(list: readonly unknown[], length: number): Promise<unknown> {
  return eventually(() => list.length >= length, `${length} deliveries (have ${list.length})`);
}
