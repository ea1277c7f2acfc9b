// health() of the memory transport, consumers, the bridge and the relay (MemoryOutbox): what a probe
// sees as each goes from idle to working to closed. RabbitMQ and PostgreSQL: test/integration/health.
import { afterEach, describe, expect, it } from 'vitest';
import {
  Bridge,
  Consumer,
  EventDispatcher,
  InMemoryUnitOfWork,
  InvalidArgumentError,
  MemoryBroker,
  MemoryOutbox,
  MemoryTransport,
  OutboxRelay,
  encodeOutboxMessage,
} from '../../src/index.js';
import { Gate, waitFor } from '../nestjs/nest-fixtures.js';

const closing: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
});

function transport(): MemoryTransport {
  const created = new MemoryTransport({ broker: new MemoryBroker() });
  closing.push(() => created.close());
  return created;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('MemoryTransport.health()', () => {
  it('is down before first use, up once connected, down once closed, with when it changed', async () => {
    const memory = transport();
    const created = memory.health();
    expect(created).toMatchObject({
      status: 'down',
      state: 'idle',
      connected: false,
      blocked: false,
      url: 'memory://',
    });
    await sleep(5);
    await memory.connect();
    const open = memory.health();
    expect(open).toMatchObject({ status: 'up', state: 'open', connected: true });
    expect(open.since.getTime()).toBeGreaterThan(created.since.getTime());
    await memory.close();
    expect(memory.health()).toMatchObject({ status: 'down', state: 'closed', connected: false });
  });
});

describe('Consumer.health()', () => {
  it('follows the consumer from idle to consuming to closed, counting the deliveries in flight', async () => {
    const memory = transport();
    const consumer = new Consumer(memory, { queue: 'health.q', bindingKeys: ['health.x'], prefetch: 5 });
    closing.push(() => consumer.close());
    expect(consumer.health()).toMatchObject({
      status: 'down',
      queue: 'health.q',
      state: 'idle',
      consuming: false,
      inFlight: 0,
      prefetch: 5,
    });
    const gate = new Gate();
    await consumer.consume(() => gate.opened);
    expect(consumer.health()).toMatchObject({
      status: 'up',
      state: 'consuming',
      consuming: true,
      inFlight: 0,
    });
    for (const id of ['m-1', 'm-2']) {
      const properties = { messageId: id };
      await memory.publish({
        exchange: 'health',
        routingKey: 'health.x',
        content: Buffer.from('{}'),
        properties,
      });
    }
    await waitFor(() => consumer.health().inFlight === 2, 2000, 'two deliveries in flight');
    const closed = consumer.close();
    expect(consumer.health()).toMatchObject({ status: 'down', state: 'closing', consuming: false });
    gate.open();
    await closed;
    expect(consumer.health()).toMatchObject({ status: 'down', state: 'closed', inFlight: 0 });
  });
});

describe('Bridge.health()', () => {
  it('is up when the transport is and every consumer consumes', async () => {
    const memory = transport();
    const bridge = new Bridge({ dispatcher: new EventDispatcher(), transport: memory });
    closing.push(() => bridge.close());
    bridge.consume({ queue: 'bridge-health.a', bindingKeys: ['bridge-health.x'], handler: async () => {} });
    bridge.consume({ queue: 'bridge-health.b', bindingKeys: ['bridge-health.y'], handler: async () => {} });
    expect(bridge.health().status).toBe('down');
    await bridge.start();
    const started = bridge.health();
    expect(started.status).toBe('up');
    expect(started.transport.state).toBe('open');
    expect(started.consumers.map((consumer) => [consumer.queue, consumer.state])).toEqual([
      ['bridge-health.a', 'consuming'],
      ['bridge-health.b', 'consuming'],
    ]);
    await memory.close();
    expect(bridge.health()).toMatchObject({ status: 'down', transport: { state: 'closed' } });
  });
});

describe('OutboxRelay.health()', () => {
  async function addRows(outbox: MemoryOutbox, routingKey: string, count: number): Promise<void> {
    const messages = Array.from({ length: count }, (_, n) => encodeOutboxMessage({ n }, routingKey));
    await new InMemoryUnitOfWork().transaction((tx) => outbox.add(messages, tx));
  }

  it('reports pending rows and the lag, down when stopped or lagging, up and at 0 once drained', async () => {
    const memory = transport();
    await memory.declare({
      exchanges: [{ name: 'relay-health', type: 'topic' }],
      queues: [{ name: 'relay-health.q' }],
      bindings: [{ queue: 'relay-health.q', exchange: 'relay-health', pattern: '#' }],
    });
    const outbox = new MemoryOutbox();
    const relay = new OutboxRelay({ outbox, transport: memory, pollIntervalMs: 10 });
    closing.push(() => relay.stop());
    await addRows(outbox, 'relay-health.placed', 3);
    await sleep(20);
    const stopped = await relay.health({ maxLagMs: 5 });
    expect(stopped).toMatchObject({
      status: 'down',
      reason: 'stopped',
      running: false,
      pending: 3,
      maxLagMs: 5,
    });
    expect(stopped.lagMs).toBeGreaterThanOrEqual(20);
    expect(stopped.lastBatchAt).toBeUndefined();
    relay.start();
    await waitFor(async () => (await relay.health()).pending === 0, 2000, 'the rows relayed');
    const drained = await relay.health({ maxLagMs: 5 });
    expect(drained).toMatchObject({ status: 'up', running: true, pending: 0, lagMs: 0 });
    expect(drained.reason).toBeUndefined();
    expect(drained.lastBatchAt).toBeInstanceOf(Date);
    await relay.stop();
    expect(await relay.health()).toMatchObject({ status: 'down', reason: 'stopped', running: false });
  });

  it('is lagging when the oldest unpublished row is older than maxLagMs (a row that keeps failing)', async () => {
    const outbox = new MemoryOutbox();
    const relay = new OutboxRelay({ outbox, transport: transport(), retry: { initialDelayMs: 60_000 } });
    closing.push(() => relay.stop());
    await addRows(outbox, 'nowhere.placed', 1); // unroutable: it fails and waits for its retry
    relay.start();
    await waitFor(async () => (await outbox.stats()).failing === 1, 2000, 'the failed publish');
    await sleep(20);
    const health = await relay.health({ maxLagMs: 10 });
    expect(health).toMatchObject({ status: 'down', reason: 'lagging', running: true, pending: 1 });
    expect(health.lagMs).toBeGreaterThan(10);
    expect(await relay.health({ maxLagMs: 60_000 })).toMatchObject({ status: 'up' });
    expect(await relay.health()).toMatchObject({ status: 'up' }); // no threshold: the lag is information
  });

  it('is down when the outbox cannot be asked, with that error; checks its options', async () => {
    const outbox = Object.assign(new MemoryOutbox(), { stats: () => Promise.reject(new Error('db down')) });
    const relay = new OutboxRelay({ outbox, transport: transport() });
    const health = await relay.health();
    expect(health).toMatchObject({
      status: 'down',
      reason: 'outbox-unavailable',
      lastError: { message: 'db down' },
    });
    expect(health.pending).toBeUndefined();
    await expect(relay.health({ maxLagMs: -1 })).rejects.toThrow(InvalidArgumentError);
    await expect(relay.health({ maxLag: 5 } as never)).rejects.toThrow(/unknown option "maxLag"/);
  });
});

describe('Consumer closed while it is starting', () => {
  it('ends closed, consuming nothing: close() overtook consume() between its declare and its consume', async () => {
    const memory = transport();
    const consumer = new Consumer(memory, { queue: 'late.orders', bindingKeys: ['order.placed'] });
    const handled: unknown[] = [];
    const starting = consumer.consume((message) => void handled.push(message.payload));
    await consumer.close();
    await starting;
    expect(consumer.health()).toMatchObject({ status: 'down', state: 'closed', consuming: false });
    // A message published now stays in the queue: nobody consumes it.
    await memory.publish({
      exchange: 'order',
      routingKey: 'order.placed',
      content: Buffer.from('{"orderId":"o-1"}'),
      properties: { messageId: 'm-late', contentType: 'application/json' },
    });
    await sleep(50);
    expect(handled).toEqual([]);
    expect(await memory.queueStats('late.orders')).toMatchObject({ messageCount: 1, consumerCount: 0 });
  });
});
