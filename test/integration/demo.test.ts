// `DATABASE_URL=… npm run demo` and `AMQP_URL=… npm run demo`: the same story with the orders'
// transactions and the outbox in PostgreSQL (PgUnitOfWork, PgOutbox), and with the broker part on
// RabbitMQ and Redis; each leaves nothing behind on the servers.
import pg from 'pg';
import { expect, it } from 'vitest';
import { AmqpTransport } from '../../src/rabbitmq.js';
import { runExample } from '../helpers/run-example.js';
import { AMQP_URL, DATABASE_URL, REDIS_URL } from './servers.js';

it('the demo on PostgreSQL: rows written in the transactions, published by the relay, the table dropped', async () => {
  const { stdout } = await runExample('demo.ts', { DATABASE_URL, AMQP_URL: '', MESSAGE_BROKER: 'memory' });
  expect(stdout).toContain('Transactions and the outbox are in PostgreSQL (table tidings_demo_outbox');
  // The four committed orders were published by the relay from the table; the rolled-back o-3 was not.
  expect(stdout).toContain('billing: charged 42 for o-1');
  expect(stdout).toContain('billing: o-2 held for manual review');
  expect(stdout).toContain('billing: charged 42 for o-5');
  expect(stdout).toMatch(/attempt 3: dead-lettered \(repeats-exhausted\)/);
  expect(stdout).not.toContain('o-3 held');
  expect(stdout).toContain('rolled back (payment row locked): nothing dispatched, no outbox row');
  expect(stdout).toContain('Outbox: 4 row(s) published and kept for a day, 0 pending.');
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
  try {
    const { rows } = await pool.query<{ table: string | null }>(
      `SELECT to_regclass('public.tidings_demo_outbox')::text AS table`,
    );
    expect(rows[0]?.table).toBeNull();
  } finally {
    await pool.end();
  }
});

it('the demo on RabbitMQ and Redis: the same story, and no exchange or queue left behind', async () => {
  const { stdout } = await runExample('demo.ts', { AMQP_URL, REDIS_URL, DATABASE_URL: '' });
  expect(stdout).toContain('Billing consumes demo.order.placed from RabbitMQ.');
  expect(stdout).toContain('billing: charged 42 for o-1');
  expect(stdout).toContain(
    'dead letter: demo.order.placed from demo-billing.orders, repeats-exhausted after 3 attempts: card declined',
  );
  expect(stdout).toContain('Outbox: 4 row(s) published and kept for a day, 0 pending.');
  const admin = new AmqpTransport({ url: AMQP_URL, connectionName: 'demo-test-admin' });
  try {
    for (const queue of [
      'demo-billing.orders',
      'demo-billing.dead-letters',
      'demo-billing.orders.wait.100ms',
    ]) {
      expect(await admin.queueStats(queue)).toBeUndefined();
    }
  } finally {
    await admin.close();
  }
});
