// health() and the logger of AmqpTransport against the real RabbitMQ (through a proxy of the test's
// own to take the connection away), and the relay's health over a PostgreSQL outbox: pending rows and
// their lag, then 0 once relayed.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionFailedError, OutboxRelay } from '../../../src/index.js';
import { AmqpTransport } from '../../../src/rabbitmq.js';
import { PgOutbox, PgUnitOfWork } from '../../../src/postgres.js';
import { entryText, recordingLogger } from '../../health/log-recorder.js';
import { Cleanups, proxyTo } from '../faults/fault-helpers.js';
import { createPool, dropOutbox, message, uniqueName, waitFor } from '../outbox/pg-helpers.js';
import { freePort } from '../security/rabbitmq-admin.js';
import { AMQP_URL } from '../servers.js';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

const SECRET = 'hunter2-health-secret';

function transport(options: ConstructorParameters<typeof AmqpTransport>[0]): AmqpTransport {
  const created = new AmqpTransport(options);
  cleanups.add(() => created.close());
  return created;
}

describe('AmqpTransport.health()', () => {
  it('is down before connecting, up while connected, down once closed', async () => {
    const amqp = transport({ url: AMQP_URL });
    const idle = amqp.health();
    expect(idle).toMatchObject({ status: 'down', state: 'idle', connected: false, blocked: false });
    await amqp.connect();
    const open = amqp.health();
    expect(open).toMatchObject({ status: 'up', state: 'open', connected: true, blocked: false });
    expect(open.since.getTime()).toBeGreaterThanOrEqual(idle.since.getTime());
    expect(open.url).not.toMatch(/:[^:*@/]+@/); // a password, if any, is masked
    await amqp.close();
    expect(amqp.health()).toMatchObject({ status: 'down', state: 'closed', connected: false });
  });

  it('is down, its URL masked, when the broker cannot be reached', async () => {
    const url = `amqp://bob:${SECRET}@127.0.0.1:${await freePort()}`;
    const amqp = transport({ url, maxConnectAttempts: 1 });
    await expect(amqp.connect()).rejects.toThrow(ConnectionFailedError);
    const health = amqp.health();
    expect(health).toMatchObject({ status: 'down', state: 'idle', connected: false });
    expect(health.url).toBe(`amqp://bob:***@127.0.0.1:${new URL(url).port}`);
  });
});

describe("AmqpTransport's logger", () => {
  it('logs the lost connection and the failed reconnects with codes, never the password; health follows', async () => {
    const { proxy, url: proxied } = await proxyTo(AMQP_URL, 5672);
    cleanups.add(() => proxy.close());
    const unreachable = `amqp://bob:${SECRET}@127.0.0.1:${await freePort()}`;
    const logger = recordingLogger();
    const amqp = transport({
      url: [proxied, unreachable],
      logger,
      reconnect: { initialDelayMs: 20, maxDelayMs: 50 },
    });
    await amqp.connect();
    expect(amqp.health().status).toBe('up');
    proxy.pause(); // new connections are refused…
    proxy.cut(); // …and the open one is dropped
    await waitFor(() => logger.codes().filter((code) => code === 'transport-error').length >= 2, 10_000);
    expect(amqp.health()).toMatchObject({ status: 'down', connected: false });
    expect(amqp.health().state).toBe('connecting');
    proxy.resume();
    await waitFor(() => amqp.health().status === 'up', 10_000);
    const codes = logger.codes();
    expect(codes[0]).toBe('transport-connected');
    expect(codes[1]).toBe('transport-disconnected');
    expect(codes.at(-1)).toBe('transport-connected');
    const disconnected = logger.entries[1]!;
    expect(disconnected).toMatchObject({ level: 'warn', data: { component: 'AmqpTransport' } });
    expect(disconnected.data['err']).toBeInstanceOf(Error);
    const failed = logger.entries.filter((entry) => entry.data['code'] === 'transport-error');
    expect(failed.some((entry) => entry.message.includes('amqp://bob:***@127.0.0.1'))).toBe(true);
    for (const entry of logger.entries) expect(entryText(entry)).not.toContain(SECRET);
  });
});

describe('OutboxRelay.health() over a PostgreSQL outbox', () => {
  it('reports the pending rows and their lag, then 0 once the relay has published them', async () => {
    const pool = createPool({ max: 4 });
    const table = uniqueName('tidings_health');
    cleanups.add(() => pool.end());
    cleanups.add(() => dropOutbox(pool, table));
    const outbox = new PgOutbox({ pool, table, notifyChannel: table });
    await outbox.ensureSchema();
    const amqp = transport({ url: AMQP_URL });
    const exchange = `t${randomUUID().slice(0, 8)}`; // a pattern test/setup/leftovers.ts knows
    const queue = `${exchange}.q`;
    await amqp.declare({
      exchanges: [{ name: exchange, type: 'topic' }],
      queues: [{ name: queue }],
      bindings: [{ queue, exchange, pattern: '#' }],
    });
    cleanups.add(async () => {
      await amqp.deleteQueue(queue);
      await amqp.deleteExchange(exchange);
    });
    const messages = [1, 2, 3].map((n) =>
      message({ exchange, routingKey: `${exchange}.placed`, payload: { n } }),
    );
    await new PgUnitOfWork({ pool }).transaction((client) => outbox.add(messages, client));
    await new Promise((resolve) => setTimeout(resolve, 30));
    const relay = new OutboxRelay({ outbox, transport: amqp, pollIntervalMs: 20 });
    cleanups.add(() => relay.stop());
    const waiting = await relay.health({ maxLagMs: 10 });
    expect(waiting).toMatchObject({ status: 'down', reason: 'stopped', running: false, pending: 3 });
    expect(waiting.lagMs).toBeGreaterThanOrEqual(20);
    relay.start();
    await waitFor(async () => (await relay.health()).pending === 0, 10_000);
    const drained = await relay.health({ maxLagMs: 10 });
    expect(drained).toMatchObject({ status: 'up', running: true, pending: 0, lagMs: 0 });
    expect(drained.lastBatchAt).toBeInstanceOf(Date);
    expect((await amqp.queueStats(queue))?.messageCount).toBe(3);
  });
});
