// MysqlOutbox relayed to RabbitMQ: the same wire as a direct send, a rollback publishes nothing, a commit
// is published once, two relays never publish a row twice, a relay whose lease was taken over cannot mark.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeOutboxMessage, OutboxRelay, type Delivery } from '../../../src/index.js';
import { AmqpTransport } from '../../../src/rabbitmq.js';
import { MysqlOutbox, MysqlUnitOfWork } from '../../../src/mysql.js';
import { wireIdentityScenarios } from '../../outbox/wire-identity-scenarios.js';
import { AMQP_URL } from '../servers.js';
import { createPool, dropOutbox, sleep, uniqueName } from './mysql-helpers.js';

const pool = createPool();
const table = uniqueName();
const transport = new AmqpTransport({ url: AMQP_URL });
const unitOfWork = new MysqlUnitOfWork({ pool });
const outbox = new MysqlOutbox({ unitOfWork, table });
/** Broker names of this file; the outbox-end-to-end prefix, which the leftover check knows. */
const exchange = `ob${randomUUID().slice(0, 8)}`;
const queue = `${exchange}.inbox`;
const routingKey = `${exchange}.placed`;

beforeAll(async () => {
  await outbox.ensureSchema();
  await transport.declare({
    exchanges: [{ name: exchange, type: 'topic' }],
    queues: [{ name: queue }],
    bindings: [{ queue, exchange, pattern: routingKey }],
  });
});

afterAll(async () => {
  await transport.deleteQueue(queue);
  await transport.deleteExchange(exchange);
  await transport.close();
  await dropOutbox(pool, table);
  await pool.end();
});

/** Every message in the queue now, acked. */
async function drainQueue(): Promise<Delivery[]> {
  const got: Delivery[] = [];
  for (;;) {
    const delivery = await transport.get(queue);
    if (delivery === undefined) return got;
    delivery.ack();
    got.push(delivery);
  }
}

async function unpublished(): Promise<number> {
  const [rows] = await pool.query(`SELECT COUNT(*) AS n FROM ${table} WHERE published_at IS NULL`);
  return Number((rows as { n: number }[])[0]!.n);
}

wireIdentityScenarios('MysqlOutbox + RabbitMQ', () =>
  Promise.resolve({
    transport,
    unitOfWork,
    outbox,
    extraHeaders: { 'x-big': { '!': 'int64', value: 2n ** 62n + 1n } },
  }),
);

describe('MysqlOutbox relayed to RabbitMQ', () => {
  it('a rolled-back transaction publishes nothing; a committed one is published exactly once', async () => {
    const relay = new OutboxRelay({ outbox, transport });
    const rolledBack = encodeOutboxMessage({ n: 'rolled back' }, routingKey);
    const committed = encodeOutboxMessage({ n: 'committed' }, routingKey);
    await expect(
      unitOfWork.transaction(async (connection) => {
        await outbox.add([rolledBack], connection);
        throw new Error('business rule');
      }),
    ).rejects.toThrow('business rule');
    await unitOfWork.transaction((connection) => outbox.add([committed], connection));
    expect(await relay.relayOnce()).toBe(1);
    expect(await relay.relayOnce()).toBe(0);
    await sleep(100);
    const received = await drainQueue();
    expect(received.map((delivery) => delivery.properties.messageId)).toEqual([committed.id]);
    expect(await unpublished()).toBe(0);
  });

  it('two relays publish every row once', async () => {
    const total = 300;
    const messages = Array.from({ length: total }, (_, n) => encodeOutboxMessage({ n }, routingKey));
    for (let start = 0; start < total; start += 30) {
      await unitOfWork.transaction((connection) => outbox.add(messages.slice(start, start + 30), connection));
    }
    const relays = [
      new OutboxRelay({ outbox, transport, batchSize: 20, pollIntervalMs: 20 }),
      new OutboxRelay({ outbox, transport, batchSize: 20, pollIntervalMs: 20 }),
    ];
    const published = [0, 0];
    relays.forEach((relay, index) => relay.on('published', ({ count }) => (published[index]! += count)));
    for (const relay of relays) relay.start();
    const deadline = Date.now() + 20_000;
    while ((await unpublished()) > 0 && Date.now() < deadline) await sleep(50);
    await Promise.all(relays.map((relay) => relay.stop()));
    await sleep(200);
    const ids = (await drainQueue()).map((delivery) => delivery.properties.messageId);
    expect(ids).toHaveLength(total); // no row published twice: the leases never expired
    expect(new Set(ids)).toEqual(new Set(messages.map((m) => m.id)));
    expect(published[0]! + published[1]!).toBe(total);
    expect(published.every((count) => count > 0)).toBe(true); // both took part
  });

  it('a relay whose lease expired and was taken over cannot mark the row; the new holder does', async () => {
    const message = encodeOutboxMessage({ n: 'slow' }, routingKey);
    await unitOfWork.transaction((connection) => outbox.add([message], connection));
    const [stale] = await outbox.claim('slow-relay', 10, 100);
    await sleep(200);
    const fresh = new OutboxRelay({ outbox, transport });
    expect(await fresh.relayOnce()).toBe(1);
    expect(await outbox.markPublished('slow-relay', [stale!])).toEqual([]);
    await sleep(100);
    expect((await drainQueue()).map((delivery) => delivery.properties.messageId)).toEqual([message.id]);
    expect(await unpublished()).toBe(0);
  });

  it('a failed publish is recorded and retried later by the database clock', async () => {
    const message = encodeOutboxMessage({ n: 'retry' }, routingKey);
    await unitOfWork.transaction((connection) => outbox.add([message], connection));
    const failing = new OutboxRelay({
      outbox,
      // The real transport, but every publish refused.
      transport: Object.create(transport, {
        publish: { value: () => Promise.reject(new Error('broker said no')) },
      }) as AmqpTransport,
      retry: { initialDelayMs: 300, maxDelayMs: 300, jitter: 0 },
    });
    const failures: string[] = [];
    failing.on('failed', ({ id, error }) => failures.push(`${id}: ${error.message}`));
    expect(await failing.relayOnce()).toBe(0);
    expect(failures).toEqual([`${message.id}: broker said no`]);
    expect(await outbox.stats()).toMatchObject({ pending: 1, failing: 1, inFlight: 0 });
    const relay = new OutboxRelay({ outbox, transport });
    expect(await relay.relayOnce()).toBe(0); // not due yet
    await sleep(400);
    expect(await relay.relayOnce()).toBe(1);
    await sleep(100);
    expect((await drainQueue()).map((delivery) => delivery.properties.messageId)).toEqual([message.id]);
  });
});
