// PgInbox against PostgreSQL: its table is created once however many processes start at once, and a
// message is recorded once per consumer, in the handler's transaction.
import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgInbox, PgUnitOfWork, pgInboxSchemaSql } from '../../../src/postgres.js';
import { createPool, uniqueName } from '../outbox/pg-helpers.js';

let pool: Pool;
const tables: string[] = [];

function table(): string {
  const name = uniqueName('tidings_inbox');
  tables.push(name);
  return name;
}

async function exists(name: string): Promise<boolean> {
  const { rows } = await pool.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [
    `public.${name}`,
  ]);
  return rows[0]!.found;
}

beforeAll(() => {
  pool = createPool();
});

afterAll(async () => {
  for (const name of tables) await pool.query(`DROP TABLE IF EXISTS "public"."${name}"`);
  await pool.end();
});

describe('PgInbox', () => {
  it('ensureSchema() creates its table, and may run again and from several processes at once', async () => {
    const inbox = new PgInbox({ pool, table: table() });
    expect(await exists(inbox.names.table)).toBe(false);
    // Without the advisory lock, concurrent CREATE TABLE IF NOT EXISTS of one new table can fail
    // (a unique violation on pg_type): the callers take turns instead.
    await Promise.all(
      Array.from({ length: 5 }, () => new PgInbox({ pool, table: inbox.names.table }).ensureSchema()),
    );
    expect(await exists(inbox.names.table)).toBe(true);
    await inbox.ensureSchema();
  });

  it('pgInboxSchemaSql() is what ensureSchema() creates, for migration tools', async () => {
    const name = table();
    await pool.query(pgInboxSchemaSql({ table: name }));
    expect(await exists(name)).toBe(true);
    await new PgInbox({ pool, table: name }).ensureSchema(); // finds it there
  });

  it('records a message once per consumer, and only when the transaction commits', async () => {
    const inbox = new PgInbox({ pool, table: table() });
    await inbox.ensureSchema();
    const unitOfWork = new PgUnitOfWork({ pool });
    const record = (consumer: string, messageId: string) =>
      unitOfWork.transaction((tx) => inbox.record(consumer, messageId, tx));

    expect(await record('billing', 'm-1')).toBe(true);
    expect(await record('billing', 'm-1')).toBe(false); // a duplicate
    expect(await record('shipping', 'm-1')).toBe(true); // another consumer

    const failed = unitOfWork.transaction(async (tx) => {
      expect(await inbox.record('billing', 'm-2', tx)).toBe(true);
      throw new Error('the handler failed');
    });
    await expect(failed).rejects.toThrow('the handler failed');
    expect(await record('billing', 'm-2')).toBe(true); // rolled back with the handler: not processed
  });
});
