// The outbox from flush to RabbitMQ: PgUnitOfWork + PgOutbox + Bridge.useOutbox + OutboxRelay.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AggregateRoot,
  Bridge,
  EventDispatcher,
  Flusher,
  OutboxRelay,
  Consumer,
  type ConsumedMessage,
} from '../../../src/index.js';
import { AmqpTransport } from '../../../src/rabbitmq.js';
import { PgOutbox, PgUnitOfWork } from '../../../src/postgres.js';
import { waitFor } from '../../bridge/bridge-scenarios.js';
import { AMQP_URL } from '../servers.js';
import { createPool, dropOutbox, uniqueName } from './pg-helpers.js';

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

const pool = createPool();
const table = uniqueName();
const exchange = `ob${randomUUID().slice(0, 8)}`;
const transport = new AmqpTransport({ url: AMQP_URL });
const outbox = new PgOutbox({ pool, table });
const received: ConsumedMessage[] = [];
const subscriber = new Consumer(transport, {
  appId: `${exchange}-billing`,
  queue: `${exchange}.billing`,
  bindingKeys: [`${exchange}.placed`],
  prefetch: 50,
  repeatDelaysMs: [],
});

function shop() {
  const dispatcher = new EventDispatcher();
  const flusher = new Flusher({ dispatcher, unitOfWork: new PgUnitOfWork({ pool }) });
  const bridge = new Bridge({ dispatcher, transport, appId: 'shop' });
  bridge.forward(OrderPlaced, { routingKey: `${exchange}.placed` });
  const relay = new OutboxRelay({
    outbox,
    transport,
    pollIntervalMs: 50,
    retry: { initialDelayMs: 50, maxDelayMs: 100 },
  });
  bridge.useOutbox(flusher, outbox, relay);
  const dispatched: string[] = [];
  dispatcher.on(OrderPlaced, (event) => void dispatched.push(event.orderId));
  return { dispatcher, flusher, bridge, relay, dispatched };
}

/** Waits until every row is marked published (the relay marks a row after the broker confirmed it). */
async function unpublishedRowsGone(): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM "${table}" WHERE published_at IS NULL`);
    if ((rows[0] as { n: number }).n === 0) return;
    if (Date.now() > deadline)
      throw new Error(`${(rows[0] as { n: number }).n} row(s) still unpublished after 5 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const idsOf = (messages: ConsumedMessage[]) =>
  messages.map((message) => (message.payload as OrderPlaced).orderId);

beforeAll(async () => {
  await outbox.ensureSchema();
  await subscriber.consume((message) => void received.push(message));
});

afterAll(async () => {
  await subscriber.close();
  for (const queue of [`${exchange}.billing`, `${exchange}-billing.dead-letters`])
    await transport.deleteQueue(queue);
  for (const name of [exchange, `${exchange}-billing.dead-letter`]) await transport.deleteExchange(name);
  await transport.close();
  await dropOutbox(pool, table);
  await pool.end();
});

describe('outbox end to end (PostgreSQL → RabbitMQ)', () => {
  it('a rollback leaves no row, dispatches nothing, publishes nothing; a commit publishes once', async () => {
    const { flusher, relay, dispatched, bridge } = shop();
    relay.start();
    const lost = new Order('rolled-back');
    lost.place();
    await expect(
      flusher.transaction(async (client) => {
        await client.query('SELECT 1');
        throw new Error('constraint violated');
      }),
    ).rejects.toThrow('constraint violated');
    expect((await pool.query(`SELECT count(*)::int AS n FROM "${table}"`)).rows[0].n).toBe(0);

    const order = new Order('committed');
    order.place();
    await flusher.flush(order);
    expect(dispatched).toEqual(['committed']);
    await waitFor(
      () => received.some((m) => (m.payload as OrderPlaced).orderId === 'committed'),
      5000,
      'the relayed event',
    );
    // The consumer may see the message before the relay has marked its row: wait for the mark.
    await unpublishedRowsGone();
    const row = (await pool.query(`SELECT id, published_at FROM "${table}"`)).rows[0] as {
      id: string;
      published_at: Date;
    };
    expect(row.published_at).toBeInstanceOf(Date);
    expect(received.find((m) => (m.payload as OrderPlaced).orderId === 'committed')!.messageId).toBe(row.id);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(idsOf(received).filter((id) => id === 'committed')).toHaveLength(1);
    expect(idsOf(received)).not.toContain('rolled-back');
    await relay.stop();
    await bridge.close();
  });

  it('commit, then SIGKILL before publishing: a relay started afterwards publishes every committed event', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'test/integration/fixtures/outbox-commit-then-die.ts', table, exchange, '25'],
      { timeout: 30_000 },
    ).catch((error: { stdout: string; signal: string }) => {
      expect(error.signal).toBe('SIGKILL');
      return error;
    });
    expect(stdout).toContain('committed');
    const { relay, bridge } = shop();
    relay.start();
    const childIds = () => idsOf(received).filter((id) => /^o-\d+$/.test(id));
    await waitFor(() => new Set(childIds()).size >= 25, 10_000, '25 relayed events');
    expect(new Set(childIds()).size).toBe(25);
    await unpublishedRowsGone();
    await relay.stop();
    await bridge.close();
  });

  it('two relays on one table publish every row; duplicates stay within one batch', async () => {
    const { flusher, bridge } = shop();
    for (let batch = 0; batch < 10; batch++) {
      const orders = Array.from({ length: 30 }, (_, index) => new Order(`pair-${batch}-${index}`));
      for (const order of orders) order.place();
      await flusher.flush(...orders);
    }
    const relays = [
      new OutboxRelay({ outbox, transport, batchSize: 20, pollIntervalMs: 20 }),
      new OutboxRelay({ outbox, transport, batchSize: 20, pollIntervalMs: 20 }),
    ];
    for (const relay of relays) relay.start();
    const pairIds = () => idsOf(received).filter((id) => id.startsWith('pair-'));
    await waitFor(() => new Set(pairIds()).size >= 300, 20_000, '300 distinct events');
    await Promise.all(relays.map((relay) => relay.stop()));
    const ids = pairIds();
    const duplicates = ids.length - new Set(ids).size;
    console.info(`[outbox two relays] 300 rows: received ${ids.length}, duplicates ${duplicates}`);
    expect(new Set(ids).size).toBe(300);
    expect(duplicates).toBeLessThanOrEqual(20);
    await unpublishedRowsGone();
    await bridge.close();
  });
});
