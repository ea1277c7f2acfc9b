// MysqlOutbox against the real server: the schema, add in the caller's transaction, claims (oldest first,
// SKIP LOCKED, late commits), leases and fencing, failures, retention and stats.
import type { Pool, PoolConnection } from 'mysql2/promise';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { encodeOutboxMessage } from '../../../src/index.js';
import type { ClaimedRow } from '../../../src/messaging/outbox/outbox.js';
import { MysqlOutbox, MysqlUnitOfWork, mysqlOutboxSchemaSql } from '../../../src/mysql.js';
import { awkwardHeaders } from '../../outbox/wire-identity-scenarios.js';
import { checkedOut, createPool, dropOutbox, message, sleep, uniqueName } from './mysql-helpers.js';

const table = uniqueName();
const LEASE_MS = 60_000;

let pool: Pool;
let otherPool: Pool;
let outbox: MysqlOutbox;
let unitOfWork: MysqlUnitOfWork;

async function ids(where = 'TRUE'): Promise<string[]> {
  const [rows] = await pool.query(`SELECT id FROM ${table} WHERE ${where} ORDER BY id`);
  return (rows as { id: string }[]).map((row) => row.id);
}

/** Opens a transaction on a connection of its own, to commit or roll back later. */
async function openTransaction(): Promise<PoolConnection> {
  const connection = await pool.getConnection();
  await connection.query('START TRANSACTION');
  return connection;
}

async function finish(connection: PoolConnection, command: 'COMMIT' | 'ROLLBACK'): Promise<void> {
  await connection.query(command);
  connection.release();
}

beforeAll(async () => {
  pool = createPool({ connectionLimit: 12 });
  otherPool = createPool({ connectionLimit: 4 });
  unitOfWork = new MysqlUnitOfWork({ pool });
  outbox = new MysqlOutbox({ unitOfWork, table });
  await outbox.ensureSchema();
});

afterAll(async () => {
  await dropOutbox(pool, table);
  await Promise.all([pool.end(), otherPool.end()]);
});

beforeEach(async () => {
  await pool.query(`TRUNCATE ${table}`);
});

describe('MysqlOutbox schema and add', () => {
  it('ensureSchema is idempotent, also from several processes at once', async () => {
    const others = Array.from({ length: 3 }, () => new MysqlOutbox({ pool: otherPool, table }));
    await Promise.all([outbox.ensureSchema(), ...others.map((other) => other.ensureSchema())]);
    const [rows] = await pool.query(`SELECT id, v FROM ${table}_token`);
    expect((rows as unknown[]).length).toBe(1);
  });

  it('exports the DDL for migrations, and validates names strictly', () => {
    const sql = mysqlOutboxSchemaSql({ table: 'app_outbox' });
    expect(sql).toContain('CREATE TABLE IF NOT EXISTS `app_outbox`');
    expect(sql).toContain('CREATE TABLE IF NOT EXISTS `app_outbox_token`');
    for (const bad of ['Outbox', 'a-b', '1x', 'x'.repeat(59), 'a`b', '']) {
      expect(() => new MysqlOutbox({ pool, table: bad })).toThrow(/table must be 1 to 58/);
    }
    expect(() => mysqlOutboxSchemaSql({ schema: 'x' } as never)).toThrow(/unknown option "schema"/);
    expect(() => new MysqlOutbox({ table })).toThrow(/either "unitOfWork" or "pool"/);
    expect(
      () => new MysqlOutbox({ unitOfWork: { transaction() {}, query() {}, dialect: 'postgres' } } as never),
    ).toThrow(/dialect 'mysql'/);
  });

  it('writes the rows with the business transaction: committed rows exist, rolled-back ones do not', async () => {
    const kept = message();
    const dropped = message();
    await unitOfWork.transaction((connection) => outbox.add([kept], connection));
    await expect(
      unitOfWork.transaction(async (connection) => {
        await outbox.add([dropped], connection);
        throw new Error('business rule');
      }),
    ).rejects.toThrow('business rule');
    expect(await ids()).toEqual([kept.id]);
    expect(checkedOut(pool)).toBe(0);
  });

  it('a savepoint rolled back takes its rows with it; the outer transaction commits the rest', async () => {
    const outer = message();
    const inner = message();
    await unitOfWork.transaction(async (connection) => {
      await outbox.add([outer], connection);
      await unitOfWork
        .transaction(async (nested) => {
          await outbox.add([inner], nested);
          throw new Error('inner');
        })
        .catch(() => {});
    });
    expect(await ids()).toEqual([outer.id]);
  });

  it('writes many messages in a few statements and round-trips bytes, properties and typed headers in order', async () => {
    const many = Array.from({ length: 1200 }, (_, n) => message({ payload: { n } }));
    await unitOfWork.transaction((connection) => outbox.add(many, connection));
    expect(await ids()).toHaveLength(1200);
    await pool.query(`TRUNCATE ${table}`);

    const headers = { ...awkwardHeaders(), 'x-big': { '!': 'int64', value: 2n ** 62n + 1n } };
    const encoded = encodeOutboxMessage({ total: 0.1 + 0.2, city: 'Zürich ✓' }, 'order.placed', {
      appId: 'orders',
      headers,
      correlationId: 'c-1',
    });
    const binary = message({ content: new Uint8Array([0, 1, 2, 254, 255]) });
    await unitOfWork.transaction((connection) => outbox.add([encoded, binary], connection));
    const [first, second] = await outbox.claim('relay-a', 10, LEASE_MS);
    expect(first!.id).toBe(encoded.id);
    expect(first!.content.equals(Buffer.from(encoded.content))).toBe(true);
    expect(first!.properties).toEqual(encoded.properties); // `expiration: undefined` is not stored
    expect(Object.keys(first!.properties.headers ?? {})).toEqual(
      Object.keys(encoded.properties.headers ?? {}),
    );
    expect(second!.content).toStrictEqual(Buffer.from([0, 1, 2, 254, 255]));
    expect(first!.createdAt.getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(first!.createdAt.getTime()).toBeLessThanOrEqual(Date.now() + 1_000);
  });

  it('rejects bad messages with clear errors before writing anything', async () => {
    await expect(
      unitOfWork.transaction((connection) => outbox.add([message(), message({ id: 'nope' })], connection)),
    ).rejects.toThrow(/messages\[1\]\.id must be a UUID/);
    await expect(
      unitOfWork.transaction((connection) =>
        outbox.add([message({ exchange: 'é'.repeat(128) })], connection),
      ),
    ).rejects.toThrow(/exchange is 256 bytes/);
    await expect(
      unitOfWork.transaction((connection) => outbox.add('x' as never, connection)),
    ).rejects.toThrow(/expected an array/);
    expect(await ids()).toEqual([]);
  });
});

describe('MysqlOutbox.claim', () => {
  it('returns the oldest due rows first and honours the limit', async () => {
    const messages = Array.from({ length: 5 }, (_, i) => message({ payload: { n: i } }));
    for (const m of messages) await unitOfWork.transaction((connection) => outbox.add([m], connection));
    const first = await outbox.claim('relay-a', 3, LEASE_MS);
    expect(first.map((row) => row.id)).toEqual(messages.slice(0, 3).map((m) => m.id));
    const second = await outbox.claim('relay-b', 3, LEASE_MS);
    expect(second.map((row) => row.id)).toEqual(messages.slice(3).map((m) => m.id));
    expect(await outbox.claim('relay-c', 3, LEASE_MS)).toEqual([]);
    expect(await outbox.claim('relay-c', 0, LEASE_MS)).toEqual([]);
    await expect(outbox.claim('', 1, LEASE_MS)).rejects.toThrow(/owner/);
    await expect(outbox.claim('relay', 1.5, LEASE_MS)).rejects.toThrow(/limit/);
    await expect(outbox.claim('relay', 1, 0)).rejects.toThrow(/leaseMs/);
    expect(checkedOut(pool)).toBe(0);
  });

  it('never hands the same row to two concurrent claimers', async () => {
    const total = 600;
    const messages = Array.from({ length: total }, (_, i) => message({ payload: { n: i } }));
    await unitOfWork.transaction((connection) => outbox.add(messages, connection));
    const other = new MysqlOutbox({ pool: otherPool, table });

    async function drain(claimer: MysqlOutbox, owner: string): Promise<ClaimedRow[]> {
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
    // One token per claim, every claim a new one.
    const claims = results.flat().map((row) => `${row.leaseToken}`);
    expect(new Set(claims).size).toBe(Math.ceil(total / 7));
  });

  it('lets another owner take over an expired lease, and fences off the stale owner', async () => {
    const m = message();
    await unitOfWork.transaction((connection) => outbox.add([m], connection));
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

  it('marks the rows still held and reports only those when some were taken over', async () => {
    const messages = Array.from({ length: 3 }, () => message());
    await unitOfWork.transaction((connection) => outbox.add(messages, connection));
    const rows = await outbox.claim('relay-a', 10, LEASE_MS);
    await pool.query(`UPDATE ${table} SET lease_expires_at = UTC_TIMESTAMP(3) WHERE id = ?`, [rows[1]!.id]);
    const [taken] = await outbox.claim('relay-b', 10, LEASE_MS);
    expect(taken!.id).toBe(rows[1]!.id);
    expect((await outbox.extendLease('relay-a', rows, LEASE_MS)).sort()).toEqual(
      [rows[0]!.id, rows[2]!.id].sort(),
    );
    expect((await outbox.markPublished('relay-a', rows)).sort()).toEqual([rows[0]!.id, rows[2]!.id].sort());
  });

  it('markFailed counts the attempt, keeps the error and delays the row by the database clock', async () => {
    const m = message();
    await unitOfWork.transaction((connection) => outbox.add([m], connection));
    const [row] = await outbox.claim('relay-a', 10, LEASE_MS);
    expect(
      await outbox.markFailed('relay-a', [{ ...row!, error: 'E'.repeat(5000), retryInMs: 60_000 }]),
    ).toEqual([m.id]);
    const [stored] = await pool.query(
      `SELECT attempts, CHAR_LENGTH(last_error) AS len, lease_owner, lease_token, lease_expires_at,
              available_at > UTC_TIMESTAMP(3) + INTERVAL 50 SECOND AS is_delayed
       FROM ${table} WHERE id = ?`,
      [m.id],
    );
    expect((stored as unknown[])[0]).toEqual({
      attempts: 1,
      len: 2000,
      lease_owner: null,
      lease_token: null,
      lease_expires_at: null,
      is_delayed: 1,
    });
    expect(await outbox.claim('relay-b', 10, LEASE_MS)).toEqual([]); // not due yet
    // The lease is gone: not recorded again.
    expect(await outbox.markFailed('relay-a', [{ ...row!, error: 'again', retryInMs: 0 }])).toEqual([]);

    await pool.query(`UPDATE ${table} SET available_at = UTC_TIMESTAMP(3) - INTERVAL 1 SECOND`);
    const [again] = await outbox.claim('relay-b', 10, LEASE_MS);
    expect(again).toMatchObject({ id: m.id, attempts: 1 });
    await expect(
      outbox.markFailed('relay-b', [{ ...again!, error: 'x', retryInMs: Number.NaN }]),
    ).rejects.toThrow(/retryInMs/);
    await expect(outbox.markPublished('relay-b', [{ id: m.id, leaseToken: 'abc' }])).rejects.toThrow(
      /leaseToken/,
    );
  });

  it('markFailed records a batch, each row with its own error and delay', async () => {
    const messages = Array.from({ length: 3 }, () => message());
    await unitOfWork.transaction((connection) => outbox.add(messages, connection));
    const rows = await outbox.claim('relay-a', 10, LEASE_MS);
    const recorded = await outbox.markFailed(
      'relay-a',
      rows.map((row, index) => ({ ...row, error: `error ${index}`, retryInMs: index * 60_000 })),
    );
    expect(recorded.sort()).toEqual(messages.map((m) => m.id).sort());
    const [stored] = await pool.query(
      `SELECT id, last_error, available_at <= UTC_TIMESTAMP(3) AS due FROM ${table} ORDER BY last_error`,
    );
    const byId = new Map(rows.map((row, index) => [row.id, index]));
    expect(
      (stored as { id: string; last_error: string; due: number }[]).map((row) => [
        byId.get(row.id),
        row.last_error,
        row.due,
      ]),
    ).toEqual([
      [0, 'error 0', 1],
      [1, 'error 1', 0],
      [2, 'error 2', 0],
    ]);
  });

  it('extendLease keeps a slow batch from being taken over, and only for the lease holder', async () => {
    const m = message();
    await unitOfWork.transaction((connection) => outbox.add([m], connection));
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
    await unitOfWork.transaction((connection) => outbox.add(messages, connection));
    await outbox.claim('relay-a', 3, LEASE_MS);
    await outbox.claim('relay-b', 1, LEASE_MS);
    expect(await outbox.release('relay-a')).toBe(3);
    expect(await outbox.release('relay-a')).toBe(0);
    const reclaimed = await outbox.claim('relay-c', 10, LEASE_MS);
    expect(reclaimed.map((row) => row.id)).toEqual(messages.slice(0, 3).map((m) => m.id));
  });

  it('never skips a row whose transaction committed late (out-of-order commits)', async () => {
    const t0 = await openTransaction();
    const t1 = await openTransaction();
    const tRollback = await openTransaction();
    const t2 = await openTransaction();
    const rows = { t0: message(), t1: message(), tRollback: message(), t2: message() };
    await outbox.add([rows.t0], t0);
    await outbox.add([rows.t1], t1);
    await outbox.add([rows.tRollback], tRollback);
    await outbox.add([rows.t2], t2);

    async function claimAndPublish(): Promise<string[]> {
      const got = await outbox.claim('relay-a', 100, LEASE_MS);
      expect(await outbox.markPublished('relay-a', got)).toHaveLength(got.length);
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
    expect(await ids('published_at IS NULL')).toEqual([]);
  });

  it('refuses to claim when the token counter has lost its row, rather than reuse a token', async () => {
    await pool.query(`DELETE FROM ${table}_token`);
    try {
      await unitOfWork.transaction((connection) => outbox.add([message()], connection));
      await expect(outbox.claim('relay-a', 10, LEASE_MS)).rejects.toThrow(/has no row; run ensureSchema/);
    } finally {
      await outbox.ensureSchema();
    }
    expect(await outbox.claim('relay-a', 10, LEASE_MS)).toHaveLength(1);
  });
});

describe('MysqlOutbox retention and stats', () => {
  it('deletePublished removes published rows older than the cutoff, in batches', async () => {
    const messages = Array.from({ length: 5 }, () => message());
    await unitOfWork.transaction((connection) => outbox.add(messages, connection));
    const claimed = await outbox.claim('relay-a', 4, LEASE_MS);
    await outbox.markPublished('relay-a', claimed);
    await pool.query(`UPDATE ${table} SET published_at = published_at - INTERVAL 2 DAY WHERE id IN (?)`, [
      claimed.slice(0, 3).map((row) => row.id),
    ]);
    const dayAgo = new Date(Date.now() - 86_400_000);
    expect(await outbox.deletePublished(dayAgo, 2)).toBe(2);
    expect(await outbox.deletePublished(dayAgo, 100)).toBe(1);
    expect(await outbox.deletePublished(dayAgo, 100)).toBe(0);
    expect(await outbox.deletePublished(new Date(Date.now() + 1000), 0)).toBe(0);
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
    await unitOfWork.transaction((connection) => outbox.add(messages, connection));
    await pool.query(`UPDATE ${table} SET created_at = created_at - INTERVAL 5 SECOND`);
    const claimed = await outbox.claim('relay-a', 3, LEASE_MS);
    await outbox.markPublished('relay-a', [claimed[0]!]);
    await outbox.markFailed('relay-a', [{ ...claimed[1]!, error: 'boom', retryInMs: 60_000 }]);
    const stats = await outbox.stats();
    expect(stats).toMatchObject({ pending: 5, inFlight: 1, failing: 1, published: 1 });
    expect(stats.oldestPendingAgeMs).toBeGreaterThanOrEqual(4_900);
    expect(stats.oldestPendingAgeMs).toBeLessThan(60_000);
  });
});
