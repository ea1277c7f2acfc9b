// Archiving loses nothing and stores nothing twice when things break half-way: PostgreSQL unreachable,
// the database connection cut in the middle of a run, and the worst moment — a row committed but the
// broker connection gone before the message's ack (as if the process died right after the commit).
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { DeadLetters } from '../../../src/index.js';
import { AmqpTransport } from '../../../src/rabbitmq.js';
import { PgDeadLetterArchive } from '../../../src/postgres.js';
import { Cleanups, proxyTo } from '../faults/fault-helpers.js';
import { AMQP_URL, DATABASE_URL } from '../servers.js';
import { scene, type Scene } from './archive-helpers.js';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

const COUNT = 6;

/** A pool whose connections go through a proxy that the test can cut. */
async function proxiedPool() {
  const { proxy, url } = await proxyTo(DATABASE_URL, 5432);
  const pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 5_000 });
  pool.on('error', () => {});
  cleanups.add(() => proxy.close());
  cleanups.add(() => pool.end());
  return { proxy, pool };
}

/**
 * Runs `before(n)` just before the n-th INSERT into the archive goes out, and `after(n)` once it has
 * resolved (committed) but before the archive sees the result.
 */
function aroundInserts(
  pool: pg.Pool,
  hooks: { before?: (n: number) => void; after?: (n: number) => Promise<void> },
): void {
  const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
  let inserts = 0;
  (pool as { query: unknown }).query = async (...args: unknown[]) => {
    if (!(typeof args[0] === 'string' && args[0].includes('INSERT INTO'))) return query(...args);
    const n = ++inserts;
    hooks.before?.(n);
    const result = await query(...args);
    await hooks.after?.(n);
    return result;
  };
}

async function messageIdsInQueue(s: Scene): Promise<string[]> {
  return (await new DeadLetters(s.transport, { appId: s.appId }).list()).map((d) => d.messageId);
}

async function rowsByMessage(s: Scene): Promise<Map<string, number>> {
  const { rows } = await s.pool.query<{ message_id: string; count: number }>(
    `SELECT message_id, count(*)::int AS count FROM "public"."${s.table}" GROUP BY message_id`,
  );
  return new Map(rows.map((row) => [row.message_id, row.count]));
}

it('PostgreSQL unreachable: the run fails, every dead letter stays in the queue in order; the next run archives each once', async () => {
  const s = await scene(cleanups, 'pg-down');
  const ids = await s.deadLetter(...Array.from({ length: COUNT }, (_, n) => ({ n })));
  await s.archive().ensureSchema();
  const { proxy, pool } = await proxiedPool();
  proxy.pause();

  await expect(s.archive({ pool }).archive()).rejects.toThrow();
  expect(await messageIdsInQueue(s)).toEqual(ids);

  proxy.resume();
  expect(await s.archive({ pool }).archive()).toMatchObject({ archived: COUNT, duplicates: 0 });
  expect(await s.deadLetterCount()).toBe(0);
  expect(await rowsByMessage(s)).toEqual(new Map(ids.map((id) => [id, 1])));
});

it('the database connection is cut mid-run: what committed is acked, the rest stays; the next run archives the rest once', async () => {
  const s = await scene(cleanups, 'pg-cut');
  const ids = await s.deadLetter(...Array.from({ length: COUNT }, (_, n) => ({ n })));
  await s.archive().ensureSchema();
  const { proxy, pool } = await proxiedPool();
  aroundInserts(pool, {
    before: (n) => {
      if (n === 3) proxy.cut(); // the third insert goes out on a dead connection
    },
  });

  await expect(s.archive({ pool }).archive()).rejects.toThrow();
  expect(await messageIdsInQueue(s)).toEqual(ids.slice(2));
  expect(await rowsByMessage(s)).toEqual(new Map(ids.slice(0, 2).map((id) => [id, 1])));

  // The pool replaces the dead connection; the same archive goes on where it stopped.
  expect(await s.archive({ pool }).archive()).toMatchObject({ archived: COUNT - 2, duplicates: 0 });
  expect(await s.deadLetterCount()).toBe(0);
  expect(await rowsByMessage(s)).toEqual(new Map(ids.map((id) => [id, 1])));
});

it('a row committed but its ack lost with the broker connection: the message comes back, and the next run recognises it — no duplicate row', async () => {
  const s = await scene(cleanups, 'ack-lost');
  const ids = await s.deadLetter(...Array.from({ length: COUNT }, (_, n) => ({ n })));
  await s.archive().ensureSchema();
  const { proxy, url } = await proxyTo(AMQP_URL, 5672);
  cleanups.add(() => proxy.close());
  const dying = new AmqpTransport({ url, maxConnectAttempts: 1 });
  dying.on('error', () => {});
  cleanups.add(() => dying.close());
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
  cleanups.add(() => pool.end());
  // The broker connection dies right after the fourth row committed, before its ack can go out.
  aroundInserts(pool, {
    after: async (n) => {
      if (n !== 4) return;
      const disconnected = new Promise((resolve) => dying.once('disconnected', resolve));
      proxy.cut();
      await disconnected;
    },
  });
  const archive = new PgDeadLetterArchive({ pool, transport: dying, appId: s.appId, table: s.table });

  await expect(archive.archive()).rejects.toThrow(/Lost the channel before removing dead letter/);
  // Rows 1-4 committed; 1-3 were acked; the 4th is back in the queue with the two never taken.
  expect(await rowsByMessage(s)).toEqual(new Map(ids.slice(0, 4).map((id) => [id, 1])));
  expect(await messageIdsInQueue(s)).toEqual(ids.slice(3));

  const summary = await s.archive().archive();
  expect(summary).toEqual({ scanned: 3, archived: 2, duplicates: 1, skipped: 0, failed: [] });
  expect(await s.deadLetterCount()).toBe(0);
  expect(await rowsByMessage(s)).toEqual(new Map(ids.map((id) => [id, 1])));
});
