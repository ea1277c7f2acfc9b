import { expect, it } from 'vitest';
import type { Delivery } from '../../src/messaging/transport.js';
import type { ContractHarness } from './harness.js';
import { eventually, QUIET_MS, sleep } from './harness.js';
import type { ContractContext } from './transport-contract.js';

interface Death {
  count: number;
  reason: string;
  queue: string;
  time: unknown;
  exchange: string;
  'routing-keys': string[];
  'original-expiration'?: string;
}

const deaths = (delivery: Delivery): Death[] => delivery.properties.headers['x-death'] as Death[];

/** A topic exchange and queue `source` bound with `order.*`, dead-lettering to a direct DLX and its queue. */
async function declareWithDeadLetters(
  h: ContractHarness,
  source: { messageTtlMs?: number } = {},
): Promise<{ exchange: string; queue: string; dlx: string; dlq: string }> {
  const [exchange, queue, dlx, dlq] = [h.name('orders'), h.name('work'), h.name('dlx'), h.name('dead')];
  await h.declare({
    exchanges: [
      { name: exchange, type: 'topic' },
      { name: dlx, type: 'direct' },
    ],
    queues: [{ name: queue, deadLetterExchange: dlx, ...source }, { name: dlq }],
    bindings: [
      { queue, exchange, pattern: 'order.*' },
      // Bound with the original key only: arriving proves the key was kept.
      { queue: dlq, exchange: dlx, pattern: 'order.placed' },
    ],
  });
  return { exchange, queue, dlx, dlq };
}

export function deadLetterContract({ harness, ttlSlackMs }: ContractContext): void {
  it("nack without requeue dead-letters with x-death reason 'rejected' and the original key", async () => {
    const h = harness();
    const { exchange, queue, dlx, dlq } = await declareWithDeadLetters(h);
    await h.consume(queue, async (delivery) => void delivery.nack({ requeue: false }));
    const dead = await h.inbox(dlq);

    await h.publish(exchange, 'order.placed', 'refused', { messageId: 'm-1', headers: { tenant: 'acme' } });

    const [delivery] = await dead.receive(1);
    expect(delivery).toMatchObject({ exchange: dlx, routingKey: 'order.placed', queue: dlq });
    expect(delivery!.content.toString()).toBe('refused');
    expect(delivery!.properties).toMatchObject({ messageId: 'm-1', headers: { tenant: 'acme' } });
    expect(deaths(delivery!)).toEqual([
      {
        count: 1,
        reason: 'rejected',
        queue,
        time: expect.any(Date),
        exchange,
        'routing-keys': ['order.placed'],
      },
    ]);
    expect(delivery!.properties.headers).toMatchObject({
      'x-first-death-reason': 'rejected',
      'x-first-death-queue': queue,
      'x-first-death-exchange': exchange,
    });
    expect(await h.transport.queueStats(queue)).toMatchObject({ messageCount: 0 });
  });

  it('a handler that rejects without settling dead-letters the message and reports the error', async () => {
    const h = harness();
    const { exchange, queue, dlq } = await declareWithDeadLetters(h);
    const failure = new Error('handler failed');
    await h.consume(queue, async () => {
      throw failure;
    });
    const dead = await h.inbox(dlq);

    await h.publish(exchange, 'order.placed', 'boom');

    const [delivery] = await dead.receive(1);
    expect(deaths(delivery!)[0]).toMatchObject({ reason: 'rejected', queue, count: 1 });
    await eventually(() => h.errors.get(h.transport)?.includes(failure), 'the handler error');
  });

  it('a message rejected into its own queue again counts up one x-death entry', async () => {
    const h = harness();
    const queue = h.name('loop');
    await h.declare({ queues: [{ name: queue, deadLetterExchange: '', deadLetterRoutingKey: queue }] });
    const seen: Delivery[] = [];
    await h.consume(queue, async (delivery) => {
      seen.push(delivery);
      if (seen.length < 3) delivery.nack({ requeue: false });
      else delivery.ack();
    });

    await h.publish('', queue, 'again and again');

    await eventuallyLength(seen, 3);
    expect(seen[0]!.properties.headers['x-death']).toBeUndefined();
    expect(deaths(seen[1]!)).toEqual([expect.objectContaining({ count: 1, reason: 'rejected', queue })]);
    expect(deaths(seen[2]!)).toEqual([expect.objectContaining({ count: 2, reason: 'rejected', queue })]);
    expect(seen[2]!.redelivered).toBe(false); // a dead-lettered copy is a new message
  });

  it("a per-message expiration dead-letters with reason 'expired' and drops the expiration", async () => {
    const h = harness();
    const { exchange, queue, dlq } = await declareWithDeadLetters(h);
    const dead = await h.inbox(dlq);

    await h.publish(exchange, 'order.placed', 'too late', { expiration: '50', messageId: 'm-ttl' });

    const [delivery] = await dead.receive(1, 50 + ttlSlackMs);
    expect(delivery!.properties.expiration).toBeUndefined();
    expect(delivery!.properties.messageId).toBe('m-ttl');
    expect(deaths(delivery!)).toEqual([
      {
        count: 1,
        reason: 'expired',
        queue,
        time: expect.any(Date),
        exchange,
        'routing-keys': ['order.placed'],
        'original-expiration': '50',
      },
    ]);
    expect(await h.transport.queueStats(queue)).toMatchObject({ messageCount: 0 });
  });

  it("a queue's messageTtlMs dead-letters with reason 'expired'", async () => {
    const h = harness();
    const { exchange, queue, dlq } = await declareWithDeadLetters(h, { messageTtlMs: 50 });
    const dead = await h.inbox(dlq);

    await h.publish(exchange, 'order.placed', 'stale');

    const [delivery] = await dead.receive(1, 50 + ttlSlackMs);
    expect(deaths(delivery!)).toEqual([
      expect.objectContaining({ count: 1, reason: 'expired', queue, exchange }),
    ]);
    expect(deaths(delivery!)[0]).not.toHaveProperty('original-expiration');
  });

  it("a wait queue with a TTL dead-letters through '' back to the main queue (the repeat pattern)", async () => {
    const h = harness();
    const [main, wait] = [h.name('main'), h.name('main.wait.200ms')];
    await h.declare({
      queues: [
        { name: main },
        { name: wait, messageTtlMs: 200, deadLetterExchange: '', deadLetterRoutingKey: main },
      ],
    });
    const inbox = await h.inbox(main);
    const sentAt = Date.now();

    await h.publish('', wait, 'try again later', { messageId: 'm-repeat' });

    await sleep(QUIET_MS);
    expect(inbox.deliveries.length).toBe(0);
    const [delivery] = await inbox.receive(1, 200 + ttlSlackMs);
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(190);
    expect(delivery).toMatchObject({ exchange: '', routingKey: main, queue: main });
    expect(delivery!.properties.messageId).toBe('m-repeat');
    expect(deaths(delivery!)).toEqual([
      expect.objectContaining({
        count: 1,
        reason: 'expired',
        queue: wait,
        exchange: '',
        'routing-keys': [wait],
      }),
    ]);
  });

  it('without a dead-letter exchange, or in a cycle without rejection, the message is dropped', async () => {
    const h = harness();
    const [plain, selfLoop] = [h.name('plain'), h.name('self-loop')];
    await h.declare({
      queues: [{ name: plain }, { name: selfLoop, messageTtlMs: 30, deadLetterExchange: '' }],
    });
    await h.publish('', plain, 'rejected into nothing');
    await h.publish('', selfLoop, 'expires into itself');

    const delivery = await h.transport.get(plain);
    delivery!.nack({ requeue: false });

    await h.readyCount(selfLoop, 0, 30 + ttlSlackMs);
    await sleep(QUIET_MS);
    expect(await h.transport.queueStats(selfLoop)).toMatchObject({ messageCount: 0 });
    expect(await h.transport.queueStats(plain)).toMatchObject({ messageCount: 0 });
  });
}

function eventuallyLength(list: readonly unknown[], length: number): Promise<unknown> {
  return eventually(() => list.length >= length, `${length} deliveries (have ${list.length})`);
}
