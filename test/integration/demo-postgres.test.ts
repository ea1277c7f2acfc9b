// `DATABASE_URL=… npm run demo`: the same story with the orders' transactions and the outbox in
// PostgreSQL (PgUnitOfWork, PgOutbox) and the relay publishing the rows.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import pg from 'pg';
import { expect, it } from 'vitest';
import { DATABASE_URL } from './servers.js';

const run = promisify(execFile);
const tsx = createRequire(import.meta.url).resolve('tsx/cli');

it('the demo on PostgreSQL: rows written in the transactions, published by the relay, none left pending', async () => {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
  try {
    const pendingBefore = async () =>
      (
        await pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM tidings_demo_outbox WHERE published_at IS NULL`,
        )
      ).rows[0]!.n;
    const { stdout } = await run(process.execPath, [tsx, 'examples/demo.ts'], {
      timeout: 60_000,
      env: { ...process.env, DATABASE_URL, MESSAGE_BROKER: 'memory' },
    });
    expect(stdout).toContain('Transactions and the outbox are in PostgreSQL (table tidings_demo_outbox');
    expect(stdout).toContain('billing: charged 42 for o-1');
    expect(stdout).toContain('billing: o-2 held for manual review');
    expect(stdout).toContain('rolled back (payment row locked): nothing dispatched, no outbox row');
    expect(stdout).toContain(
      'dead letter: order.placed from demo-billing.orders, repeats-exhausted after 3 attempts: card declined',
    );
    expect(stdout).toMatch(/Outbox: \d+ row\(s\) published and kept for a day, 0 pending\./);
    // The four committed orders are rows of the demo's table, each published; the rolled-back o-3 is not.
    const { rows } = await pool.query<{ order_id: string; published: boolean }>(
      `SELECT payload->>'orderId' AS order_id, published_at IS NOT NULL AS published
         FROM tidings_demo_outbox ORDER BY created_at DESC, id DESC LIMIT 4`,
    );
    expect(rows.map((row) => row.order_id).sort()).toEqual(['o-1', 'o-2', 'o-4', 'o-5']);
    expect(rows.every((row) => row.published)).toBe(true);
    expect(await pendingBefore()).toBe(0);
  } finally {
    await pool.end();
  }
});
