// PgOutbox on the relay's side: claims (oldest first, SKIP LOCKED, late commits), leases and fencing,
// failures, retention and stats. The table and `add`: pg-outbox-add.test.ts.
import type { ClientBase, Pool, PoolClient } from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ClaimedRow } from '../../../src/messaging/outbox/outbox.js';
import { PgOutbox } from '../../../src/adapters/postgres/pg-outbox.js';
import { PgUnitOfWork } from '../../../src/adapters/postgres/pg-unit-of-work.js';
import { countQueries, createPool, dropOutbox, message, sleep, uniqueName } from './pg-helpers.js';

const table = uniqueName();
const LEASE_MS = 60_000;

let pool: Pool;
let otherPool: Pool;
let outbox: PgOutbox;
let unitOfWork: PgUnitOfWork;

async function ids(where = 'true'): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(
    `SELECT id::text AS id FROM ${table} WHERE ${where} ORDER BY id`,
  );
  return rows.map((row) => row.id);
}

/** Makes every live lease expire now, as if `leaseMs` had passed. */
async function expireLeases(): Promise<void> {
  await pool.query(
    `UPDATE ${table} SET lease_expires_at = now() - interval '1 second' WHERE lease_owner IS NOT NULL`,
  );
}

/** Opens a transaction on a client of its own, to commit or roll back later. */
async function openTransaction(): Promise<PoolClient> {
  const client = await pool.connect();
  await client.query('BEGIN');
  return client;
}

async function finish(client: PoolClient, command: 'COMMIT' | 'ROLLBACK'): Promise<void> {
  await client.query(command);
  client.release();
}

beforeAll(async () => {
  pool = createPool({ max: 12 });
  otherPool = createPool({ max: 4 });
  outbox = new PgOutbox({ pool, table, notifyChannel: table });
  unitOfWork = new PgUnitOfWork({ pool });
  await outbox.ensureSchema();
  await outbox.ensureSchema(); // idempotent
});

afterAll(async () => {
  await dropOutbox(pool, table);
  await Promise.all([pool.end(), otherPool.end()]);
});

beforeEach(async () => {
  await pool.query(`TRUNCATE ${table}`);
});

describe('PgOutbox.claim', () => {
  it('returns the oldest due rows first and honours the limit', async () => {
    const messages = Array.from({ length: 5 }, (_, i) => message({ payload: { n: i } }));
    for (const m of messages) await unitOfWork.transaction((client) => outbox.add([m], client));
    const first = await outbox.claim('relay-a', 3, LEASE_MS);
    expect(first.map((row) => row.id)).toEqual(messages.slice(0, 3).map((m) => m.id));
    const second = await outbox.claim('relay-b', 3, LEASE_MS);
    expect(second.map((row) => row.id)).toEqual(messages.slice(3).map((m) => m.id));
    expect(await outbox.claim('relay-c', 3, LEASE_MS)).toEqual([]);
    expect(await outbox.claim('relay-c', 0, LEASE_MS)).toEqual([]);
    await expect(outbox.claim('', 1, LEASE_MS)).rejects.toThrow(/owner/);
    await expect(outbox.claim('relay', 1.5, LEASE_MS)).rejects.toThrow(/limit/);
    await expect(outbox.claim('relay', 1, 0)).rejects.toThrow(/leaseMs/);
  });

  it('never hands the same row to two concurrent claimers', async () => {
    const total = 600;
    const messages = Array.from({ length: total }, (_, i) => message({ payload: { n: i } }));
    await unitOfWork.transaction((client) => outbox.add(messages, client));
    const other = new PgOutbox({ pool: otherPool, table, notifyChannel: table });

    async function drain(claimer: PgOutbox, owner: string): Promise<ClaimedRow[]> {
      const got: ClaimedRow[] = [];
      for (;;) {
        const rows = await claimer.claim(owner, 7, LEASE_MS);
        if (rows.length === 0) return got;
        got.push(...rows);
      }
    }
    const results = await Promise.all([
      drain(outbox, 'relay-a'),
      drain(other, 'relay-b'),
      drain(outbox, 'relay-c'),
      drain(other, 'relay-d'),
    ]);
    const all = results.flat().map((row) => row.id);
    expect(all).toHaveLength(total);
    expect(new Set(all).size).toBe(total);
    expect(results.filter((rows) => rows.length > 0).length).toBeGreaterThan(1); // they really competed
    const tokens = results.flat().map((row) => BigInt(row.leaseToken));
    expect(new Set(tokens).size).toBe(total); // a fresh token per claimed row
  });

  it('lets another owner take over an expired lease, and fences off the stale owner', async () => {
    const m = message();
    await unitOfWork.transaction((client) => outbox.add([m], client));
    const [stale] = await outbox.claim('relay-a', 10, 200);
    expect(stale?.id).toBe(m.id);
    expect(await outbox.claim('relay-b', 10, LEASE_MS)).toEqual([]); // the lease is live

    await sleep(300); // the lease expires for real
    const [fresh] = await outbox.claim('relay-b', 10, LEASE_MS);
    expect(fresh?.id).toBe(m.id);
    expect(BigInt(fresh!.leaseToken)).toBeGreaterThan(BigInt(stale!.leaseToken));

    expect(await outbox.markPublished('relay-a', [stale!])).toEqual([]);
    expect(await outbox.markFailed('relay-a', [{ ...stale!, error: 'late', retryInMs: 0 }])).toEqual([]);
    expect(await outbox.extendLease('relay-a', [stale!], LEASE_MS)).toEqual([]);
    // The right owner with an old token is refused too: the token, not the name, proves the lease.
    expect(await outbox.markPublished('relay-b', [stale!])).toEqual([]);
    expect(await outbox.markPublished('relay-b', [fresh!])).toEqual([m.id]);
    expect(await outbox.markPublished('relay-b', [fresh!])).toEqual([]); // only once
    expect(await ids('published_at IS NOT NULL')).toEqual([m.id]);
  });

  it('marks a batch row by row: a row sent with an old token is refused beside rows with theirs', async () => {
    // A row is marked only with the token of its own current lease, given beside its own id, whatever
    // else the batch carries (a set check of the batch's tokens would fail the second expectation).
    const [a, b] = [message(), message()];
    await unitOfWork.transaction((client) => outbox.add([a, b], client));
    const stale = await outbox.claim('relay-a', 10, 200);
    expect(stale.map((row) => row.id).sort()).toEqual([a.id, b.id].sort());
    await sleep(300); // both leases expire
    const fresh = await outbox.claim('relay-a', 10, LEASE_MS); // the same owner claims them again
    const freshA = fresh.find((row) => row.id === a.id)!;
    const staleB = stale.find((row) => row.id === b.id)!;
    const freshB = fresh.find((row) => row.id === b.id)!;
    // b comes with its old token, next to a with its current one: only a is marked.
    expect(await outbox.markPublished('relay-a', [freshA, staleB])).toEqual([a.id]);
    // b's current token carried by another row's entry does not mark b either.
    expect(
      await outbox.markPublished('relay-a', [{ id: a.id, leaseToken: freshB.leaseToken }, staleB]),
    ).toEqual([]);
    expect(await outbox.markPublished('relay-a', [freshB])).toEqual([b.id]);
  });

  it('lets an owner whose lease expired but was not taken over still mark its row', async () => {
    const m = message();
    await unitOfWork.transaction((client) => outbox.add([m], client));
    const rows = await outbox.claim('relay-a', 10, LEASE_MS);
    await expireLeases();
    expect(await outbox.markPublished('relay-a', rows)).toEqual([m.id]);
  });

  it('markFailed counts the attempt, keeps the error and delays the row by the database clock', async () => {
    const m = message();
    await unitOfWork.transaction((client) => outbox.add([m], client));
    const [row] = await outbox.claim('relay-a', 10, LEASE_MS);
    const longError = 'E'.repeat(5000);
    expect(await outbox.markFailed('relay-a', [{ ...row!, error: longError, retryInMs: 60_000 }])).toEqual([
      m.id,
    ]);
    const stored = await pool.query(
      `SELECT attempts, length(last_error) AS len, lease_owner, lease_token, lease_expires_at,
              available_at > now() + interval '50 seconds' AS delayed
       FROM ${table} WHERE id = $1`,
      [m.id],
    );
    expect(stored.rows[0]).toEqual({
      attempts: 1,
      len: 2000,
      lease_owner: null,
      lease_token: null,
      lease_expires_at: null,
      delayed: true,
    });
    expect(await outbox.claim('relay-b', 10, LEASE_MS)).toEqual([]); // not due yet
    // The lease is gone: not recorded again.
    expect(await outbox.markFailed('relay-a', [{ ...row!, error: 'again', retryInMs: 0 }])).toEqual([]);

    await pool.query(`UPDATE ${table} SET available_at = now() - interval '1 second'`);
    const [again] = await outbox.claim('relay-b', 10, LEASE_MS);
    expect(again).toMatchObject({ id: m.id, attempts: 1 });
    await expect(
      outbox.markFailed('relay-b', [{ ...again!, error: 'x', retryInMs: Number.NaN }]),
    ).rejects.toThrow(/retryInMs/);
    await expect(outbox.markPublished('relay-b', [{ id: m.id, leaseToken: 'abc' }])).rejects.toThrow(
      /leaseToken/,
    );
  });

  it('markFailed records a batch in one statement, each row with its own error and delay', async () => {
    const messages = Array.from({ length: 3 }, () => message());
    await unitOfWork.transaction((client) => outbox.add(messages, client));
    const rows = await outbox.claim('relay-a', 10, LEASE_MS);
    const counter = countQueries(pool as unknown as ClientBase);
    const recorded = await outbox.markFailed(
      'relay-a',
      rows.map((row, index) => ({ ...row, error: `error ${index}`, retryInMs: index * 60_000 })),
    );
    counter.restore();
    expect(counter.texts).toHaveLength(1);
    expect(recorded.sort()).toEqual(messages.map((m) => m.id).sort());
    const stored = await pool.query<{ id: string; last_error: string; due: boolean }>(
      `SELECT id::text AS id, last_error, available_at <= now() AS due FROM ${table} ORDER BY last_error`,
    );
    const byId = new Map(rows.map((row, index) => [row.id, index]));
    expect(stored.rows.map((row) => [byId.get(row.id), row.last_error, row.due])).toEqual([
      [0, 'error 0', true],
      [1, 'error 1', false],
      [2, 'error 2', false],
    ]);
  });

  it('extendLease keeps a slow batch from being taken over, and only for the lease holder', async () => {
    const m = message();
    await unitOfWork.transaction((client) => outbox.add([m], client));
    const [row] = await outbox.claim('relay-a', 10, 300);
    await sleep(200);
    expect(await outbox.extendLease('relay-a', [row!], 2_000)).toEqual([m.id]);
    await sleep(200); // past the first lease: still held
    expect(await outbox.claim('relay-b', 10, LEASE_MS)).toEqual([]);
    expect(await outbox.extendLease('relay-b', [row!], 2_000)).toEqual([]); // not the owner
    await expect(outbox.extendLease('relay-a', [row!], 0)).rejects.toThrow(/leaseMs/);
    expect(await outbox.markPublished('relay-a', [row!])).toEqual([m.id]);
    expect(await outbox.extendLease('relay-a', [row!], 2_000)).toEqual([]); // published: nothing to hold
  });

  it('release gives up the leases of one owner', async () => {
    const messages = Array.from({ length: 4 }, () => message());
    await unitOfWork.transaction((client) => outbox.add(messages, client));
    await outbox.claim('relay-a', 3, LEASE_MS);
    await outbox.claim('relay-b', 1, LEASE_MS);
    expect(await outbox.release('relay-a')).toBe(3);
    expect(await outbox.release('relay-a')).toBe(0);
    const reclaimed = await outbox.claim('relay-c', 10, LEASE_MS);
    expect(reclaimed.map((row) => row.id)).toEqual(messages.slice(0, 3).map((m) => m.id));
  });

  it('never skips a row whose transaction committed late (out-of-order commits)', async () => {
    // Opened in this order, so their ids (and start times) are in this order too.
    const t0 = await openTransaction();
    const t1 = await openTransaction();
    const tRollback = await openTransaction();
    const t2 = await openTransaction();
    const rows = { t0: message(), t1: message(), tRollback: message(), t2: message() };
    await outbox.add([rows.t0], t0);
    await outbox.add([rows.t1], t1);
    await outbox.add([rows.tRollback], tRollback);
    await outbox.add([rows.t2], t2);

    const claimed: string[] = [];
    async function claimAndPublish(): Promise<string[]> {
      const got = await outbox.claim('relay-a', 100, LEASE_MS);
      expect(await outbox.markPublished('relay-a', got)).toHaveLength(got.length);
      claimed.push(...got.map((row) => row.id));
      return got.map((row) => row.id);
    }

    await finish(t2, 'COMMIT');
    expect(await claimAndPublish()).toEqual([rows.t2.id]);
    await finish(tRollback, 'ROLLBACK');
    expect(await claimAndPublish()).toEqual([]);
    await finish(t1, 'COMMIT');
    expect(await claimAndPublish()).toEqual([rows.t1.id]);
    await finish(t0, 'COMMIT');
    expect(await claimAndPublish()).toEqual([rows.t0.id]);

    expect(claimed).toHaveLength(3);
    expect(new Set(claimed)).toEqual(new Set([rows.t0.id, rows.t1.id, rows.t2.id]));
    expect(await ids('published_at IS NULL')).toEqual([]);
  });
});

describe('PgOutbox retention and stats', () => {
  it('deletePublished removes published rows older than the cutoff, in batches', async () => {
    const messages = Array.from({ length: 5 }, () => message());
    await unitOfWork.transaction((client) => outbox.add(messages, client));
    const claimed = await outbox.claim('relay-a', 4, LEASE_MS);
    await outbox.markPublished('relay-a', claimed);
    await pool.query(
      `UPDATE ${table} SET published_at = now() - interval '2 days' WHERE id = ANY($1::uuid[])`,
      [claimed.slice(0, 3).map((row) => row.id)],
    );
    const dayAgo = new Date(Date.now() - 86_400_000);
    expect(await outbox.deletePublished(dayAgo, 2)).toBe(2);
    expect(await outbox.deletePublished(dayAgo, 100)).toBe(1);
    expect(await outbox.deletePublished(dayAgo, 100)).toBe(0);
    expect(await outbox.deletePublished(new Date(Date.now() + 1000), 0)).toBe(0);
    // The recent published row and the unpublished one remain.
    expect(await ids()).toEqual([claimed[3]!.id, messages[4]!.id].sort());
  });

  it('stats reports pending, in-flight, failing, published and the age of the oldest pending row', async () => {
    expect(await outbox.stats()).toEqual({
      pending: 0,
      oldestPendingAgeMs: 0,
      inFlight: 0,
      failing: 0,
      published: 0,
    });
    const messages = Array.from({ length: 6 }, () => message());
    await unitOfWork.transaction((client) => outbox.add(messages, client));
    await pool.query(`UPDATE ${table} SET created_at = now() - interval '5 seconds'`);
    const claimed = await outbox.claim('relay-a', 3, LEASE_MS);
    await outbox.markPublished('relay-a', [claimed[0]!]);
    await outbox.markFailed('relay-a', [{ ...claimed[1]!, error: 'boom', retryInMs: 60_000 }]);
    const stats = await outbox.stats();
    expect(stats).toMatchObject({ pending: 5, inFlight: 1, failing: 1, published: 1 });
    expect(stats.oldestPendingAgeMs).toBeGreaterThanOrEqual(4_900);
    expect(stats.oldestPendingAgeMs).toBeLessThan(60_000);
  });
});
