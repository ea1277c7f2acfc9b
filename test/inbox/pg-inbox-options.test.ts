// PgInbox's options and schema SQL, without a database: a pool is only used by ensureSchema().
import type { Pool } from 'pg';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/index.js';
import { PgInbox, pgInboxSchemaSql } from '../../src/postgres.js';

const pool = { query: () => Promise.reject(new Error('not used')), connect: () => {} } as unknown as Pool;

describe('PgInbox options', () => {
  it('takes the pool first, then where its table is', () => {
    expect(new PgInbox({ pool }).names.qualifiedTable).toBe('"public"."tidings_inbox"');
    expect(new PgInbox({ pool, schema: 'billing', table: 'inbox' }).names).toEqual({
      schema: 'billing',
      table: 'inbox',
      qualifiedTable: '"billing"."inbox"',
    });
  });

  it('refuses a missing pool, an unknown option and a bad name, naming the option', () => {
    expect(() => new PgInbox(undefined as never)).toThrow(/PgInbox: "pool" must be a pg Pool, got undefined/);
    expect(() => new PgInbox({ table: 'inbox' })).toThrow(InvalidArgumentError);
    expect(() => new PgInbox({ pool, tabel: 'inbox' } as never)).toThrow(
      'PgInbox: unknown option "tabel" (known options: unitOfWork, pool, schema, table)',
    );
    expect(() => new PgInbox({ pool, table: 'Inbox"; DROP TABLE x' })).toThrow(
      /PgInbox: table must be 1 to 63 lower-case letters, digits and underscores/,
    );
    expect(() => new PgInbox({ pool, schema: '1st' })).toThrow(/PgInbox: schema must be/);
  });
});

describe('pgInboxSchemaSql', () => {
  it('is the DDL of the table, idempotent, for a migration tool', () => {
    const sql = pgInboxSchemaSql({ schema: 'billing', table: 'inbox' });
    expect(sql).toMatch(/^CREATE TABLE IF NOT EXISTS "billing"."inbox" \(/);
    expect(sql).toContain('PRIMARY KEY (consumer, message_id)');
    expect(pgInboxSchemaSql()).toContain('"public"."tidings_inbox"');
  });

  it('refuses what PgInbox refuses', () => {
    expect(() => pgInboxSchemaSql({ tabel: 'x' } as never)).toThrow(
      /pgInboxSchemaSql: unknown option "tabel"/,
    );
    expect(() => pgInboxSchemaSql({ table: 'a-b' })).toThrow(/pgInboxSchemaSql: table must be/);
  });
});
