// PgOutbox's logger: the loss of its LISTEN connection (what goes to onError) is logged as a warning
// with its code, onError still called, the pool's password nowhere in the entry.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Pool } from 'pg';
import { PgOutbox } from '../../../src/postgres.js';
import { entryText, recordingLogger } from '../../health/log-recorder.js';
import { createPool, dropOutbox, uniqueName, waitFor } from '../outbox/pg-helpers.js';
import { DATABASE_URL, withPassword } from '../servers.js';

const SECRET = 'hunter2-pg-secret';
const table = uniqueName('tidings_log');
let pool: Pool;

beforeAll(async () => {
  // The local server trusts localhost: the password is never asked for, only carried by the pool.
  pool = createPool({ connectionString: withPassword(DATABASE_URL, SECRET), max: 4 });
});

afterAll(async () => {
  await dropOutbox(pool, table);
  await pool.end();
});

it('logs outbox-watch-error when the LISTEN connection is lost, and still calls onError', async () => {
  const logger = recordingLogger();
  const errors: Error[] = [];
  const outbox = new PgOutbox({
    pool,
    table,
    notifyChannel: table,
    watchReconnect: { initialDelayMs: 50, maxDelayMs: 500 },
    onError: (error) => errors.push(error),
    logger,
  });
  await outbox.ensureSchema();
  const stop = await outbox.watch(() => {});
  try {
    const pid = await waitFor(async () => {
      const { rows } = await pool.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = $1 AND state = 'idle'`,
        [`LISTEN "${table}"`],
      );
      return rows[0]?.pid;
    }, 5_000);
    await pool.query('SELECT pg_terminate_backend($1)', [pid]);
    await waitFor(() => errors.length > 0 && logger.entries.length > 0, 10_000);
  } finally {
    await stop();
  }
  const entry = logger.entries[0]!;
  expect(entry).toMatchObject({ level: 'warn', data: { code: 'outbox-watch-error', component: 'PgOutbox' } });
  expect(entry.data['err']).toBeInstanceOf(Error);
  expect(entry.message).toMatch(/^PgOutbox watch: /);
  for (const logged of logger.entries) expect(entryText(logged)).not.toContain(SECRET);
});
