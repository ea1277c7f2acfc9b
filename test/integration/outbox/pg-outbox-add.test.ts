// PgOutbox: the table it creates, and the rows `add` writes in the business transaction — what a row
// holds (the encoded message) and what `add` refuses. Claims, leases and retention: pg-outbox.test.ts.
import type { Pool } from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HeadersTooLargeError } from '../../../src/errors/headers-too-large-error.js';
import { InvalidArgumentError } from '../../../src/errors/invalid-argument-error.js';
import { PgOutbox } from '../../../src/adapters/postgres/pg-outbox.js';
import { pgOutboxSchemaSql } from '../../../src/adapters/postgres/pg-outbox-sql.js';
import { PgUnitOfWork } from '../../../src/adapters/postgres/pg-unit-of-work.js';
import { countQueries, createPool, dropOutbox, message, uniqueName } from './pg-helpers.js';

const table = uniqueName();
const LEASE_MS = 60_000;

let pool: Pool;
let outbox: PgOutbox;
let unitOfWork: PgUnitOfWork;

async function ids(): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(`SELECT id::text AS id FROM ${table} ORDER BY id`);
  return rows.map((row) => row.id);
}

beforeAll(async () => {
  pool = createPool();
  outbox = new PgOutbox({ pool, table, notifyChannel: table });
  unitOfWork = new PgUnitOfWork({ pool });
  await outbox.ensureSchema();
  await outbox.ensureSchema(); // idempotent
});

afterAll(async () => {
  await dropOutbox(pool, table);
  await pool.end();
});

beforeEach(async () => {
  await pool.query(`TRUNCATE ${table}`);
});

describe('PgOutbox schema', () => {
  it('creates the table, the token sequence and both partial indexes', async () => {
    const { rows } = await pool.query<{ indexname: string; indexdef: string }>(
      'SELECT indexname, indexdef FROM pg_indexes WHERE tablename = $1 ORDER BY indexname',
      [table],
    );
    const byName = Object.fromEntries(rows.map((row) => [row.indexname, row.indexdef]));
    expect(byName[`${table}_claim_idx`]).toMatch(/\(available_at, id\) WHERE \(published_at IS NULL\)/);
    expect(byName[`${table}_retention_idx`]).toMatch(/\(published_at\) WHERE \(published_at IS NOT NULL\)/);
    const sequence = await pool.query('SELECT 1 FROM pg_class WHERE relname = $1 AND relkind = $2', [
      `${table}_token_seq`,
      'S',
    ]);
    expect(sequence.rowCount).toBe(1);
  });

  it('exports the DDL for migrations, and validates names strictly', () => {
    const ddl = pgOutboxSchemaSql({ schema: 'app', table: 'outbox' });
    expect(ddl).toContain('CREATE TABLE IF NOT EXISTS "app"."outbox"');
    expect(ddl).toContain('CREATE SEQUENCE IF NOT EXISTS "app"."outbox_token_seq"');
    for (const bad of ['Outbox', 'out-box', 'x"; DROP TABLE y; --', '1outbox', '', 'a'.repeat(50)]) {
      expect(() => new PgOutbox({ pool, table: bad })).toThrow(InvalidArgumentError);
    }
    expect(() => new PgOutbox({ pool, schema: 'my schema' })).toThrow(/schema/);
    expect(() => new PgOutbox({ pool, notifyChannel: 'a.b' })).toThrow(/notifyChannel/);
    expect(() => new PgOutbox({ pool, tabel: 'x' } as never)).toThrow(/unknown option "tabel"/);
    expect(() => new PgOutbox({})).toThrow(/pool/);
  });
});

describe('PgOutbox.add', () => {
  it('writes the rows with the business transaction: committed rows exist, rolled-back ones do not', async () => {
    const committed = message();
    const rolledBack = message();
    await unitOfWork.transaction((client) => outbox.add([committed], client));
    await expect(
      unitOfWork.transaction(async (client) => {
        await outbox.add([rolledBack], client);
        throw new Error('business failure');
      }),
    ).rejects.toThrow('business failure');
    expect(await ids()).toEqual([committed.id]);
  });

  it('writes any number of messages in one round trip', async () => {
    const messages = Array.from({ length: 10 }, (_, i) => message({ payload: { n: i } }));
    let texts: string[] = [];
    await unitOfWork.transaction(async (client) => {
      const counter = countQueries(client);
      try {
        await outbox.add(messages, client);
      } finally {
        counter.restore();
      }
      texts = counter.texts;
    });
    expect(texts).toHaveLength(1);
    expect(texts[0]).toMatch(/INSERT INTO/);
    expect(await ids()).toEqual(messages.map((m) => m.id).sort());
  });

  it('round-trips the body byte for byte, properties, and typed headers in their order; the id is the message id', async () => {
    const headers = {
      'z-first': 'keys keep their order',
      'x-at': new Date('2024-02-29T23:59:59.000Z'),
      'x-blob': Buffer.from([0, 1, 254, 255]),
      'x-count': { '!': 'uint16', value: 300 },
      'x-big': { '!': 'int64', value: 2n ** 62n },
      'x-nul': 'nul \u0000 kept',
      'x-nan': NaN,
      'a-nested': { list: [1, 2.5, null, Buffer.from('b')], tag: { $bytes: 'looks tagged' } },
    };
    const sent = message({
      // Not JSON, not UTF-8: the body is stored as the bytes it is.
      content: Buffer.from([0x7b, 0x00, 0xff, 0x80, 0x22]),
      properties: {
        contentType: 'application/octet-stream',
        type: 'order.placed',
        appId: 'orders',
        correlationId: 'c-1',
        timestamp: 1_700_000_000,
        headers,
      },
    });
    const bare = message({ payload: 'just a string', properties: {} });
    await unitOfWork.transaction((client) => outbox.add([sent, bare], client));
    const claimed = await outbox.claim('relay-a', 10, LEASE_MS);
    expect(claimed).toHaveLength(2);
    const first = claimed.find((row) => row.id === sent.id)!;
    expect(first).toMatchObject({ id: sent.id, exchange: 'order', routingKey: 'order.placed', attempts: 0 });
    expect(first.content).toStrictEqual(Buffer.from(sent.content));
    expect(first.properties).toStrictEqual(sent.properties);
    expect(Object.keys(first.properties.headers!)).toEqual(Object.keys(headers));
    expect(first.createdAt).toBeInstanceOf(Date);
    expect(Math.abs(first.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
    expect(first.leaseToken).toMatch(/^\d+$/);
    const second = claimed.find((row) => row.id === bare.id)!;
    expect(second.content.toString('utf8')).toBe('"just a string"');
    expect(second.properties).toStrictEqual({});
    // Readable in SQL: the body as bytes, the headers as JSON.
    const { rows } = await pool.query(
      `SELECT body, typed_headers->>'z-first' AS first, payload, headers FROM ${table} WHERE id = $1`,
      [sent.id],
    );
    expect(rows[0]).toEqual({
      body: Buffer.from(sent.content),
      first: 'keys keep their order',
      payload: null,
      headers: null,
    });
  });

  it('rejects bad messages with clear errors before touching the database', async () => {
    const client = await pool.connect();
    try {
      const counter = countQueries(client);
      await expect(outbox.add([message({ id: 'not-a-uuid' })], client)).rejects.toThrow(/messages\[0\]\.id/);
      await expect(outbox.add([message({ content: undefined })], client)).rejects.toThrow(/content/);
      await expect(outbox.add([message({ content: 'text' as never })], client)).rejects.toThrow(/content/);
      // A message of the previous shape is named as such.
      const { content: _content, ...legacy } = message();
      await expect(outbox.add([{ ...legacy, payload: { n: 1 } } as never], client)).rejects.toThrow(
        /"payload" and no "content".*encodeOutboxMessage/,
      );
      const properties = (extra: object) => message({ properties: { type: 'order.placed', ...extra } });
      await expect(outbox.add([properties({ correlationId: 'nul \u0000' })], client)).rejects.toThrow(/NUL/);
      await expect(outbox.add([properties({ headers: 'x' })], client)).rejects.toThrow(
        /headers must be an object/,
      );
      // What both transports would refuse to publish is refused here, not stored as a row no relay can send.
      await expect(
        outbox.add([properties({ headers: { big: 'x'.repeat(70_000) } })], client),
      ).rejects.toBeInstanceOf(HeadersTooLargeError);
      const deep: Record<string, unknown> = {};
      deep['self'] = deep;
      await expect(outbox.add([properties({ headers: deep })], client)).rejects.toThrow(/nested too deeply/);
      await expect(outbox.add({} as never, client)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(outbox.add([message()], {} as never)).rejects.toThrow(/client/);
      await outbox.add([], client); // nothing to do, no round trip
      expect(counter.texts).toEqual([]);
      counter.restore();
    } finally {
      client.release();
    }
  });
});
