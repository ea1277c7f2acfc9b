import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgOutbox } from '../../../src/adapters/postgres/pg-outbox.js';
import { PgUnitOfWork } from '../../../src/adapters/postgres/pg-unit-of-work.js';
import { createPool, dropOutbox, message, sleep, uniqueName, waitFor } from './pg-helpers.js';

const table = uniqueName();
const listenQuery = `LISTEN "${table}"`;

let pool: Pool;
let outbox: PgOutbox;
let unitOfWork: PgUnitOfWork;
const errors: Error[] = [];

/** The backends currently listening for this test's channel. */
async function listeners(): Promise<number[]> {
  const { rows } = await pool.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = $1 AND state = 'idle'`,
    [listenQuery],
  );
  return rows.map((row) => row.pid);
}

beforeAll(async () => {
  pool = createPool({ max: 6 });
  // The channel is unique too, so that parallel test files do not wake each other.
  outbox = new PgOutbox({
    pool,
    table,
    notifyChannel: table,
    watchReconnect: { initialDelayMs: 50, maxDelayMs: 500 },
    onError: (error) => errors.push(error),
  });
  unitOfWork = new PgUnitOfWork({ pool });
  await outbox.ensureSchema();
});

afterAll(async () => {
  await dropOutbox(pool, table);
  await pool.end();
});

describe('PgOutbox.watch', () => {
  it('wakes on commit, not on rollback, and survives the loss of its connection', async () => {
    let wakeUps = 0;
    const stop = await outbox.watch(() => {
      wakeUps++;
    });
    try {
      await unitOfWork.transaction((client) => outbox.add([message(), message()], client));
      await waitFor(() => wakeUps >= 1, 10_000, 'a notification after commit');
      await sleep(200);
      expect(wakeUps).toBe(1); // one NOTIFY per transaction, however many rows

      await expect(
        unitOfWork.transaction(async (client) => {
          await outbox.add([message()], client);
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      await sleep(300);
      expect(wakeUps).toBe(1);

      const [pid] = await waitFor(listeners, 5_000, 'the LISTEN backend');
      expect(pid).toBeDefined();
      await pool.query('SELECT pg_terminate_backend($1)', [pid]);
      const [newPid] = await waitFor(
        async () => {
          const pids = await listeners();
          return pids.length > 0 && !pids.includes(pid!) ? pids : undefined;
        },
        10_000,
        'a new LISTEN backend',
      );
      expect(newPid).not.toBe(pid);
      expect(errors.length).toBeGreaterThanOrEqual(1); // the loss was reported, not thrown
      // After reconnecting it wakes the listener once: notifications sent meanwhile were lost.
      await waitFor(() => wakeUps >= 2, 5_000, 'the wake-up after reconnecting');

      const before = wakeUps;
      await unitOfWork.transaction((client) => outbox.add([message()], client));
      await waitFor(() => wakeUps > before, 10_000, 'a notification after the reconnection');
    } finally {
      await stop();
    }
    expect(await listeners()).toEqual([]);
    expect(pool.totalCount - pool.idleCount).toBe(0); // the LISTEN client went back

    const after = wakeUps;
    await unitOfWork.transaction((client) => outbox.add([message()], client));
    await sleep(300);
    expect(wakeUps).toBe(after);
  });

  it('keeps listening when the listener throws, and reports the error', async () => {
    let calls = 0;
    const stop = await outbox.watch(() => {
      calls++;
      throw new Error('listener bug');
    });
    try {
      errors.length = 0;
      await unitOfWork.transaction((client) => outbox.add([message()], client));
      await waitFor(() => calls >= 1, 10_000, 'the first notification');
      await unitOfWork.transaction((client) => outbox.add([message()], client));
      await waitFor(() => calls >= 2, 10_000, 'the second notification');
      expect(errors.map((error) => error.message)).toContain('listener bug');
    } finally {
      await stop();
      await stop(); // idempotent
    }
  });

  it('rejects when it cannot listen at all', async () => {
    const broken = createPool({ connectionString: 'postgresql://postgres@127.0.0.1:1/test' });
    try {
      const unreachable = new PgOutbox({
        pool: broken,
        table,
        notifyChannel: table,
      });
      await expect(unreachable.watch(() => {})).rejects.toThrow();
    } finally {
      await broken.end();
    }
    await expect(outbox.watch('nope' as never)).rejects.toThrow(/function/);
  });
});
