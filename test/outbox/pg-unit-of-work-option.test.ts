// PgOutbox and PgInbox over any SqlUnitOfWork, without a database: what they take, what they refuse,
// and the statements they send through the unit of work.
import type { Pool } from 'pg';
import { describe, expect, it } from 'vitest';
import { pgArray, pgByteaArray } from '../../src/adapters/postgres/pg-array.js';
import type { SqlResult, SqlUnitOfWork } from '../../src/deferred/sql-unit-of-work.js';
import { encodeOutboxMessage, InvalidArgumentError } from '../../src/index.js';
import { PgInbox, PgOutbox, PgUnitOfWork } from '../../src/postgres.js';

const pool = { query: () => Promise.reject(new Error('not used')), connect: () => {} } as unknown as Pool;

/** A unit of work that records its statements and answers each with `answer`. */
function recordingUnitOfWork(dialect: 'postgres' | 'mysql', answer: SqlResult = { rows: [], rowCount: 1 }) {
  const statements: { tx: unknown; sql: string; params: readonly unknown[] }[] = [];
  const unitOfWork: SqlUnitOfWork<string> = {
    dialect,
    transaction: (work) => work('own-tx'),
    query: async <Row>(tx: string, sql: string, params: readonly unknown[] = []) => {
      statements.push({ tx, sql, params });
      return answer as SqlResult<Row>;
    },
  };
  return { unitOfWork, statements };
}

describe('PgOutbox and PgInbox over a SqlUnitOfWork', () => {
  it('take a unit of work of dialect postgres, or a pool, not both', () => {
    const { unitOfWork } = recordingUnitOfWork('postgres');
    expect(new PgOutbox({ unitOfWork }).names.table).toBe('tidings_outbox');
    expect(new PgInbox({ unitOfWork }).names.table).toBe('tidings_inbox');
    expect(new PgOutbox({ unitOfWork: new PgUnitOfWork({ pool }) }).names.table).toBe('tidings_outbox');
    expect(() => new PgOutbox({ unitOfWork, pool } as never)).toThrow(/give either "unitOfWork" or "pool"/);
    expect(() => new PgInbox({ unitOfWork, pool } as never)).toThrow(InvalidArgumentError);
  });

  it('refuse a unit of work of another dialect, or something else, with an InvalidArgumentError', () => {
    const { unitOfWork } = recordingUnitOfWork('mysql');
    expect(() => new PgOutbox({ unitOfWork })).toThrow(InvalidArgumentError);
    expect(() => new PgOutbox({ unitOfWork })).toThrow(
      /PgOutbox: "unitOfWork" must speak PostgreSQL \(dialect 'postgres'\), got dialect "mysql"/,
    );
    expect(() => new PgInbox({ unitOfWork })).toThrow(/PgInbox: "unitOfWork" must speak PostgreSQL/);
    expect(() => new PgOutbox({ unitOfWork: {} as never })).toThrow(/must be a SqlUnitOfWork/);
  });

  it('write in the caller transaction, and run relay operations in transactions of their own', async () => {
    const { unitOfWork, statements } = recordingUnitOfWork('postgres');
    const outbox = new PgOutbox({ unitOfWork });
    await outbox.add([encodeOutboxMessage({ n: 1 }, 'orders.placed')], 'caller-tx');
    expect(statements[0]?.tx).toBe('caller-tx');
    expect(statements[0]?.params).toHaveLength(7);
    expect(await outbox.release('relay-1')).toBe(1);
    expect(statements[1]?.tx).toBe('own-tx');
    expect(await new PgInbox({ unitOfWork }).record('billing', 'm-1', 'caller-tx')).toBe(true);
    expect(statements[2]).toMatchObject({ tx: 'caller-tx', params: ['billing', 'm-1'] });
  });

  it('watch never calls back without a pg pool (relays poll)', async () => {
    const { unitOfWork } = recordingUnitOfWork('postgres');
    const stop = await new PgOutbox({ unitOfWork }).watch(() => {
      throw new Error('never called');
    });
    await stop();
  });
});

describe('pgArray', () => {
  it('quotes every element, escapes quotes and backslashes, and keeps NULL apart from "NULL"', () => {
    expect(pgArray([])).toBe('{}');
    expect(pgArray(['a,b', 'say "hi"', 'back\\slash', 'NULL', null, 3])).toBe(
      '{"a,b","say \\"hi\\"","back\\\\slash","NULL",NULL,"3"}',
    );
    expect(pgByteaArray([Buffer.from([0, 255]), new Uint8Array([1])])).toBe('{"\\\\x00ff","\\\\x01"}');
  });
});
