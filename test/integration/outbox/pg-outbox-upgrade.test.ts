// A table created by the previous version of PgOutbox (payload jsonb NOT NULL, no body column) keeps
// working: ensureSchema() / pgOutboxSchemaSql() add the new columns in place, and the rows already in it
// are relayed with the bytes that version's relay would have sent. Nothing is lost in an upgrade.
import { afterAll, describe, expect, it } from 'vitest';
import {
  encodeOutboxMessage,
  MemoryBroker,
  MemoryTransport,
  OutboxRelay,
  type Delivery,
} from '../../../src/index.js';
import { PgOutbox, PgUnitOfWork, pgOutboxSchemaSql } from '../../../src/postgres.js';
import { uuidv7 } from '../../../src/internal/uuid-v7.js';
import { createPool, dropOutbox, uniqueName } from './pg-helpers.js';

/** The DDL of the previous version, verbatim. */
function previousSchema(table: string): string {
  return `CREATE TABLE "public"."${table}" (
  id uuid PRIMARY KEY,
  exchange text NOT NULL,
  routing_key text NOT NULL,
  payload jsonb NOT NULL,
  headers jsonb,
  properties jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  available_at timestamptz NOT NULL DEFAULT now(),
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  lease_owner text,
  lease_token bigint,
  lease_expires_at timestamptz,
  published_at timestamptz
) WITH (fillfactor = 80);
CREATE SEQUENCE "public"."${table}_token_seq" AS bigint OWNED BY "public"."${table}".lease_token;
CREATE INDEX "${table}_claim_idx" ON "public"."${table}" (available_at, id) WHERE published_at IS NULL;
CREATE INDEX "${table}_retention_idx" ON "public"."${table}" (published_at) WHERE published_at IS NOT NULL;`;
}

/** A row as the previous version's `add` wrote it (its statement, without the NOTIFY). */
async function addPreviousRow(table: string, row: { id: string; payload: unknown; headers: unknown }) {
  await pool.query(
    `INSERT INTO "public"."${table}" (id, exchange, routing_key, payload, headers, properties)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[], $5::jsonb[], $6::jsonb[])`,
    [
      [row.id],
      ['order'],
      ['order.placed'],
      [JSON.stringify(row.payload)],
      [JSON.stringify(row.headers)],
      [
        JSON.stringify({
          contentType: 'application/json',
          deliveryMode: 2,
          appId: 'shop',
          type: 'order.placed',
        }),
      ],
    ],
  );
}

async function columns(table: string): Promise<Record<string, { type: string; nullable: string }>> {
  const { rows } = await pool.query<{ column_name: string; data_type: string; is_nullable: string }>(
    `SELECT column_name, data_type, is_nullable FROM information_schema.columns
     WHERE table_schema = 'public' AND table_name = $1`,
    [table],
  );
  return Object.fromEntries(
    rows.map((row) => [row.column_name, { type: row.data_type, nullable: row.is_nullable }]),
  );
}

const pool = createPool();
const tables: string[] = [];

afterAll(async () => {
  for (const table of tables) await dropOutbox(pool, table);
  await pool.end();
});

function newTable(): string {
  const table = uniqueName();
  tables.push(table);
  return table;
}

describe('PgOutbox on a table of the previous version', () => {
  it('adds the columns in place (idempotently), and relays the old rows as that version did, next to new ones', async () => {
    const table = newTable();
    await pool.query(previousSchema(table));
    const oldId = uuidv7();
    await addPreviousRow(table, {
      id: oldId,
      payload: { orderId: 'o-old', total: 42 },
      headers: { 'x-tidings-origin': 'shop', 'x-at': '2024-01-01T00:00:00.000Z' },
    });

    await pool.query(pgOutboxSchemaSql({ table })); // what a migration would apply
    const outbox = new PgOutbox({ pool, table, notifyChannel: table });
    await outbox.ensureSchema(); // and what a service does at start-up: nothing left to do
    expect(await columns(table)).toMatchObject({
      body: { type: 'bytea', nullable: 'YES' },
      typed_headers: { type: 'json', nullable: 'YES' },
      payload: { type: 'jsonb', nullable: 'YES' },
      headers: { type: 'jsonb', nullable: 'YES' },
    });

    const fresh = encodeOutboxMessage({ orderId: 'o-new', total: 7 }, 'order.placed', {
      appId: 'shop',
      headers: { 'x-at': new Date('2024-01-01T00:00:00.000Z') },
    });
    await new PgUnitOfWork({ pool }).transaction((client) => outbox.add([fresh], client));

    const transport = new MemoryTransport({ broker: new MemoryBroker() });
    await transport.declare({
      exchanges: [{ name: 'order', type: 'topic' }],
      queues: [{ name: 'billing' }],
      bindings: [{ queue: 'billing', exchange: 'order', pattern: 'order.placed' }],
    });
    expect(await new OutboxRelay({ outbox, transport }).relayOnce()).toBe(2);
    const received: Delivery[] = [];
    for (let delivery = await transport.get('billing'); delivery; delivery = await transport.get('billing')) {
      received.push(delivery);
    }
    await transport.close();

    const old = received.find((delivery) => delivery.properties.messageId === oldId)!;
    // jsonb sorted the keys; the previous relay serialised the parsed payload again: these bytes.
    expect(old.content.toString('utf8')).toBe('{"total":42,"orderId":"o-old"}');
    expect(old.properties).toMatchObject({
      contentType: 'application/json',
      appId: 'shop',
      type: 'order.placed',
      headers: { 'x-tidings-origin': 'shop', 'x-at': '2024-01-01T00:00:00.000Z' },
    });
    const relayed = received.find((delivery) => delivery.properties.messageId === fresh.id)!;
    expect(relayed.content).toStrictEqual(Buffer.from(fresh.content));
    expect(relayed.properties.headers).toStrictEqual(fresh.properties.headers);
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM "${table}" WHERE published_at IS NULL`);
    expect(rows[0]).toEqual({ n: 0 });
  });

  it('fillfactor: 50 for a new table; a table at the previous default 80 moves to 50; one the application chose is kept', async () => {
    const fillfactor = async (table: string) => {
      const { rows } = await pool.query<{ reloptions: string[] | null }>(
        `SELECT reloptions FROM pg_class WHERE oid = $1::regclass`,
        [`"public"."${table}"`],
      );
      return rows[0]!.reloptions;
    };
    const fresh = newTable();
    await new PgOutbox({ pool, table: fresh }).ensureSchema();
    expect(await fillfactor(fresh)).toEqual(['fillfactor=50']);

    const previous = newTable();
    await pool.query(previousSchema(previous));
    expect(await fillfactor(previous)).toEqual(['fillfactor=80']);
    await new PgOutbox({ pool, table: previous }).ensureSchema();
    expect(await fillfactor(previous)).toEqual(['fillfactor=50']);

    const chosen = newTable();
    await pool.query(previousSchema(chosen).replace('fillfactor = 80', 'fillfactor = 70'));
    await pool.query(pgOutboxSchemaSql({ table: chosen }));
    expect(await fillfactor(chosen)).toEqual(['fillfactor=70']);
  });

  it('ensureSchema() on an up-to-date table waits for no lock a long reader holds (no ALTER TABLE runs)', async () => {
    const table = newTable();
    // A start-up that had to wait would fail here after a second rather than hang the test.
    const impatient = createPool({ max: 2, options: '-c lock_timeout=1000' });
    try {
      const outbox = new PgOutbox({ pool: impatient, table });
      await outbox.ensureSchema();
      const reader = await pool.connect();
      try {
        await reader.query('BEGIN');
        await reader.query(`SELECT count(*) FROM "${table}"`); // holds ACCESS SHARE until ROLLBACK
        await outbox.ensureSchema();
        await expect(
          impatient.query(`ALTER TABLE "${table}" ADD COLUMN IF NOT EXISTS body bytea`),
        ).rejects.toThrow(/lock timeout/); // what an unguarded upgrade would have done
      } finally {
        await reader.query('ROLLBACK');
        reader.release();
      }
    } finally {
      await impatient.end();
    }
  });
});
