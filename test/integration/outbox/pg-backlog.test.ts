import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgOutbox } from '../../../src/adapters/postgres/pg-outbox.js';
import { pgOutboxNames, pgOutboxStatements } from '../../../src/adapters/postgres/pg-outbox-sql.js';
import { createPool, dropOutbox, uniqueName } from './pg-helpers.js';

const table = uniqueName();
const BATCH = 100;
const LEASE_MS = 60_000;

let pool: Pool;
let outbox: PgOutbox;
const claimSql = pgOutboxStatements(pgOutboxNames({ table })).claim;

/**
 * Replaces the table's rows with `count` due rows written by generate_series, with ids that grow with
 * arrival time as UUIDv7 ids do.
 */
async function fillBacklog(count: number): Promise<void> {
  await pool.query(`TRUNCATE ${table}`);
  await pool.query(
    `INSERT INTO ${table} (id, exchange, routing_key, payload, properties, created_at, available_at)
     SELECT ('00000000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, 'order', 'order.placed', jsonb_build_object('n', i), '{"type":"order.placed"}',
            now() - ($1 - i) * interval '1 millisecond', now() - ($1 - i) * interval '1 millisecond'
     FROM generate_series(1, $1::int) AS i`,
    [count],
  );
  await pool.query(`VACUUM ANALYZE ${table}`);
}

/** Median time of a claim of BATCH rows, over several claims (each released again). */
async function medianClaimMs(runs = 7): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const rows = await outbox.claim('bench', BATCH, LEASE_MS);
    times.push(performance.now() - started);
    expect(rows).toHaveLength(BATCH);
    await outbox.release('bench');
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

async function plan(analyze: boolean): Promise<string> {
  const client = await pool.connect();
  try {
    // EXPLAIN ANALYZE runs the UPDATE: inside a transaction that is rolled back, it leases nothing.
    await client.query('BEGIN');
    const options = analyze ? '(ANALYZE, BUFFERS, COSTS OFF)' : '(COSTS OFF)';
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${options} ${claimSql}`, [
      'explain',
      BATCH,
      LEASE_MS,
    ]);
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
}

beforeAll(async () => {
  pool = createPool({ max: 4 });
  outbox = new PgOutbox({ pool, table, notifyChannel: table });
  await outbox.ensureSchema();
});

afterAll(async () => {
  await dropOutbox(pool, table);
  await pool.end();
});

/** "Execution Time: 1.913 ms" of an EXPLAIN ANALYZE, in milliseconds. */
function executionMs(analyzed: string): number {
  return Number(/Execution Time: ([\d.]+) ms/.exec(analyzed)?.[1] ?? NaN);
}

describe('PgOutbox with a large backlog', () => {
  it('claims through the partial index: cost does not grow with the backlog', async () => {
    await fillBacklog(1_000);
    const smallMs = await medianClaimMs();
    const smallPlan = await plan(true);

    await fillBacklog(100_000);
    const plain = await plan(false);
    expect(plain).toContain(`Index Scan using ${table}_claim_idx on ${table}`);
    expect(plain).not.toMatch(new RegExp(`Seq Scan on ${table}`));
    const largePlan = await plan(true);
    expect(largePlan).not.toMatch(new RegExp(`Seq Scan on ${table}`));
    const largeMs = await medianClaimMs();

    const started = performance.now();
    const stats = await outbox.stats();
    const statsMs = performance.now() - started;
    expect(stats.pending).toBe(100_000);

    // Reported, not asserted (timings depend on the machine). The wall time includes the commit.
    console.log(
      [
        `claim of ${BATCH} rows with 1,000 pending: ${smallMs.toFixed(2)} ms wall (median of 7), ` +
          `${executionMs(smallPlan).toFixed(2)} ms execution`,
        `claim of ${BATCH} rows with 100,000 pending: ${largeMs.toFixed(2)} ms wall (median of 7), ` +
          `${executionMs(largePlan).toFixed(2)} ms execution`,
        `stats() with 100,000 pending: ${statsMs.toFixed(1)} ms`,
        'claim plan with 100,000 pending (EXPLAIN ANALYZE, rolled back):',
        largePlan,
      ].join('\n'),
    );
  });
});
