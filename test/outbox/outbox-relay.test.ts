import { describe, expect, it } from 'vitest';
import {
  AggregateRoot,
  Bridge,
  EventDispatcher,
  Flusher,
  InMemoryUnitOfWork,
  MemoryBroker,
  MemoryOutbox,
  MemoryTransport,
  OutboxRelay,
  Consumer,
  type ConsumedMessage,
} from '../../src/index.js';
import { waitFor } from '../bridge/bridge-scenarios.js';

class OrderPlaced {
  static eventName = 'order.placed';
  constructor(readonly orderId: string) {}
}
class Order extends AggregateRoot {
  constructor(readonly id: string) {
    super();
  }
  place() {
    this.recordEvent(new OrderPlaced(this.id));
  }
}

async function setup(options: { bind?: boolean; pollIntervalMs?: number } = {}) {
  const transport = new MemoryTransport({ broker: new MemoryBroker() });
  const dispatcher = new EventDispatcher();
  const unitOfWork = new InMemoryUnitOfWork();
  const flusher = new Flusher({ dispatcher, unitOfWork });
  const outbox = new MemoryOutbox();
  const relay = new OutboxRelay({
    outbox,
    transport,
    pollIntervalMs: options.pollIntervalMs ?? 60_000,
    retry: { initialDelayMs: 20, maxDelayMs: 40, jitter: 0 },
  });
  const bridge = new Bridge({ dispatcher, transport, appId: 'shop' });
  bridge.forward(OrderPlaced, { routingKey: 'order.placed' });
  bridge.useOutbox(flusher, outbox, relay);
  const received: ConsumedMessage[] = [];
  const subscriber = new Consumer(transport, {
    appId: 'billing',
    queue: 'billing.orders',
    bindingKeys: ['order.placed'],
  });
  if (options.bind !== false) await subscriber.consume((message) => void received.push(message));
  const close = async () => {
    await relay.stop();
    await subscriber.close();
    await bridge.close();
    await transport.close();
  };
  return { transport, dispatcher, unitOfWork, flusher, outbox, relay, bridge, subscriber, received, close };
}

describe('outbox with the embedded defaults', () => {
  it('a rollback writes no row and publishes nothing; a commit publishes once, with the row id', async () => {
    const { flusher, outbox, relay, received, close } = await setup();
    relay.start();
    const rolledBack = new Order('o-rolled-back');
    rolledBack.place();
    await expect(
      flusher.transaction(async () => {
        throw new Error('constraint');
      }),
    ).rejects.toThrow('constraint');
    await flusher
      .transaction(async (tx) => {
        tx.onCommit(() => {
          throw new Error('commit failed');
        });
        return [rolledBack];
      })
      .catch(() => undefined);
    expect((await outbox.stats()).pending).toBe(0);

    const order = new Order('o-1');
    order.place();
    await flusher.flush(order);
    const message = await waitFor(() => received[0], 2000, 'the relayed message');
    expect(message.payload).toEqual({ orderId: 'o-1' });
    expect(message.properties).toMatchObject({ appId: 'shop', type: 'order.placed' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(received).toHaveLength(1);
    expect(await outbox.stats()).toMatchObject({ pending: 0, published: 1 });
    await close();
  });

  it('the relay is nudged by the commit: no wait for the poll interval', async () => {
    const { flusher, relay, received, close } = await setup({ pollIntervalMs: 60_000 });
    relay.start();
    await new Promise((resolve) => setTimeout(resolve, 20)); // the loop is asleep now
    const started = Date.now();
    const order = new Order('o-fast');
    order.place();
    await flusher.flush(order);
    await waitFor(() => received[0], 2000, 'the nudged relay');
    expect(Date.now() - started).toBeLessThan(1000);
    await close();
  });

  it('a row that cannot be published is retried with backoff and never blocks the others', async () => {
    const { flusher, relay, outbox, subscriber, received, close } = await setup({ bind: false });
    const failures: { id: string; attempts: number }[] = [];
    relay.on('failed', ({ id, attempts }) => failures.push({ id, attempts }));
    const order = new Order('o-unroutable');
    order.place();
    await flusher.flush(order);
    // Nothing is bound yet: the publish is unroutable, the row stays pending with attempts counted.
    expect(await relay.relayOnce()).toBe(0);
    expect(failures).toEqual([expect.objectContaining({ attempts: 1 })]);
    expect(await outbox.stats()).toMatchObject({ pending: 1, failing: 1 });
    expect(await relay.relayOnce()).toBe(0); // not due yet (backoff)
    await subscriber.consume((message) => void received.push(message));
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await relay.relayOnce()).toBe(1);
    await waitFor(() => received[0], 2000, 'the retried row');
    await close();
  });

  it('fencing: a relay whose lease was taken over cannot mark the row', async () => {
    const { flusher, outbox, close } = await setup();
    const order = new Order('o-lease');
    order.place();
    await flusher.flush(order);
    const [stale] = await outbox.claim('relay-a', 10, 1);
    await new Promise((resolve) => setTimeout(resolve, 5)); // relay-a's lease expires
    const [current] = await outbox.claim('relay-b', 10, 10_000);
    expect(current!.id).toBe(stale!.id);
    expect(Number(current!.leaseToken)).toBeGreaterThan(Number(stale!.leaseToken));
    expect(await outbox.markPublished('relay-a', [stale!])).toEqual([]);
    expect(await outbox.markFailed('relay-a', [{ ...stale!, error: 'late', retryInMs: 0 }])).toEqual([]);
    expect(await outbox.extendLease('relay-a', [stale!], 10_000)).toEqual([]);
    expect(await outbox.markPublished('relay-b', [current!])).toEqual([current!.id]);
    await close();
  });

  it('a batch slower than the lease keeps its leases: a second relay does not publish it again', async () => {
    const { flusher, outbox, close } = await setup();
    // Every publish of the first relay's batch takes four leases long (a broker applying backpressure).
    const slow = new MemoryTransport({ broker: new MemoryBroker() });
    const publishes = new Map<string, number>();
    slow.publish = async (message) => {
      publishes.set(
        message.properties?.messageId ?? '?',
        (publishes.get(message.properties?.messageId ?? '?') ?? 0) + 1,
      );
      await new Promise((resolve) => setTimeout(resolve, 400));
    };
    const first = new OutboxRelay({ outbox, transport: slow, leaseMs: 100, pollIntervalMs: 60_000 });
    const second = new OutboxRelay({ outbox, transport: slow, leaseMs: 100, pollIntervalMs: 10 });
    const fenced: string[] = [];
    for (const relay of [first, second]) relay.on('fenced', ({ ids }) => fenced.push(...ids));
    const orders = ['o-slow-1', 'o-slow-2'].map((id) => new Order(id));
    for (const order of orders) order.place();
    await flusher.flush(...orders);

    const batch = first.relayOnce(); // claims both rows, publishes for 400 ms
    second.start(); // polls every 10 ms for due rows
    expect(await batch).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await second.stop();
    expect([...publishes.values()]).toEqual([1, 1]);
    expect(fenced).toEqual([]);
    expect(await outbox.stats()).toMatchObject({ pending: 0, published: 2 });
    await slow.close();
    await close();
  });

  it('the loop renews the leases of a batch claimed ahead too: a second relay does not take it', async () => {
    const { flusher, outbox, close } = await setup();
    const slow = new MemoryTransport({ broker: new MemoryBroker() });
    const publishes = new Map<string, number>();
    slow.publish = async (message) => {
      const id = message.properties?.messageId ?? '?';
      publishes.set(id, (publishes.get(id) ?? 0) + 1);
      await new Promise((resolve) => setTimeout(resolve, 300));
    };
    // Batches of one: the second row is claimed while the first is published (for 3 leases), and waits.
    const first = new OutboxRelay({
      outbox,
      transport: slow,
      leaseMs: 100,
      batchSize: 1,
      pollIntervalMs: 60_000,
    });
    const second = new OutboxRelay({ outbox, transport: slow, leaseMs: 100, pollIntervalMs: 10 });
    const fenced: string[] = [];
    for (const relay of [first, second]) relay.on('fenced', ({ ids }) => fenced.push(...ids));
    const orders = ['o-ahead-1', 'o-ahead-2', 'o-ahead-3'].map((id) => new Order(id));
    for (const order of orders) order.place();
    await flusher.flush(...orders);
    first.start();
    await new Promise((resolve) => setTimeout(resolve, 30)); // first holds row 1 and row 2 (ahead)
    second.start();
    await waitFor(async () => (await outbox.stats()).pending === 0, 5000, 'every row published');
    await first.stop();
    await second.stop();
    expect([...publishes.values()]).toEqual([1, 1, 1]);
    expect(fenced).toEqual([]);
    await slow.close();
    await close();
  });

  it('after a batch with failures the loop claims no further batches, and waits', async () => {
    const { flusher, outbox, close } = await setup();
    const refusing = new MemoryTransport({ broker: new MemoryBroker() });
    let attempts = 0;
    refusing.publish = () => {
      attempts++;
      return Promise.reject(new Error('the broker refuses everything'));
    };
    const relay = new OutboxRelay({
      outbox,
      transport: refusing,
      batchSize: 2,
      pollIntervalMs: 60_000,
      retry: { initialDelayMs: 0, maxDelayMs: 0, jitter: 0 },
    });
    const orders = Array.from({ length: 10 }, (_, index) => new Order(`o-refused-${index}`));
    for (const order of orders) order.place();
    await flusher.flush(...orders);
    await new Promise((resolve) => setTimeout(resolve, 10)); // the commit's notification has come and gone
    relay.start();
    await waitFor(() => attempts >= 2, 5000, 'the first batch');
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The first batch and the two claimed before its failure was seen (one is claimed before each batch
    // is published), then a pause until the next poll: not the whole backlog of 5 batches (and not
    // again and again, although the failed rows are due at once).
    expect(attempts).toBeLessThanOrEqual(6);
    await relay.stop();
    await refusing.close();
    await close();
  });

  it('a listener that throws is reported as an error; the marks of the batches still happen', async () => {
    const { flusher, outbox, relay, close } = await setup();
    const errors: string[] = [];
    relay.on('error', (error) => errors.push(error.message));
    relay.on('published', () => {
      throw new Error('a broken metrics listener');
    });
    const orders = ['o-listener-1', 'o-listener-2'].map((id) => new Order(id));
    for (const order of orders) order.place();
    relay.start();
    await flusher.flush(...orders);
    await waitFor(async () => (await outbox.stats()).pending === 0, 5000, 'every row marked');
    expect(errors).toContain('a broken metrics listener');
    await close();
  });

  it('release() gives up the leases, so another relay takes the rows at once', async () => {
    const { flusher, outbox, close } = await setup();
    for (const id of ['a', 'b']) {
      const order = new Order(id);
      order.place();
      await flusher.flush(order);
    }
    const [held] = await outbox.claim('relay-x', 1, 60_000);
    expect((await outbox.claim('relay-y', 10, 60_000)).map((row) => row.id)).not.toContain(held!.id);
    await outbox.release('relay-y');
    expect(await outbox.release('relay-x')).toBe(1);
    expect((await outbox.claim('relay-z', 10, 60_000)).map((row) => row.id)).toContain(held!.id);
    await close();
  });

  it('housekeeping deletes published rows older than keepPublishedMs and reports metrics', async () => {
    const { flusher, outbox, transport, received, close } = await setup();
    const relay = new OutboxRelay({
      outbox,
      transport,
      keepPublishedMs: 1,
      housekeepingIntervalMs: 20,
      pollIntervalMs: 10,
    });
    const metrics: number[] = [];
    relay.on('metrics', (stats) => metrics.push(stats.published));
    relay.start();
    const order = new Order('o-old');
    order.place();
    await flusher.flush(order);
    await waitFor(() => received[0], 2000, 'the message');
    const deadline = Date.now() + 2000;
    while ((await outbox.stats()).published > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    expect(await outbox.stats()).toMatchObject({ published: 0, pending: 0 });
    expect(metrics.length).toBeGreaterThan(0);
    await relay.stop();
    await close();
  });

  it('rejects bad options', () => {
    expect(() => new OutboxRelay({} as never)).toThrow(/"outbox" is required/);
    expect(
      () =>
        new OutboxRelay({
          outbox: new MemoryOutbox(),
          transport: new MemoryTransport(),
          batchSise: 1,
        } as never),
    ).toThrow(/unknown option "batchSise"/);
  });
});
