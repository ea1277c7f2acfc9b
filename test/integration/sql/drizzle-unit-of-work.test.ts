import { drizzle as mysqlDrizzle } from 'drizzle-orm/mysql2';
import { drizzle as pgDrizzle } from 'drizzle-orm/node-postgres';
import { createPool as createMysqlPool } from 'mysql2/promise';
import pg from 'pg';
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import { DrizzleUnitOfWork } from 'tidings/drizzle';
import { InvalidArgumentError } from '../../../src/errors/invalid-argument-error.js';
import { describeSqlUnitOfWork } from '../../contract/sql/sql-unit-of-work.contract.js';
import { MYSQL_URL, PG_URL } from '../../contract/sql/observer.js';

describeSqlUnitOfWork('DrizzleUnitOfWork', 'postgres', async () => {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
  return { unitOfWork: new DrizzleUnitOfWork(pgDrizzle(pool)), close: () => pool.end() };
});

describeSqlUnitOfWork('DrizzleUnitOfWork', 'mysql', async () => {
  const pool = createMysqlPool({ uri: MYSQL_URL, connectionLimit: 4 });
  return {
    unitOfWork: new DrizzleUnitOfWork(mysqlDrizzle(pool, { mode: 'default' })),
    close: () => pool.end(),
  };
});

describe('DrizzleUnitOfWork', () => {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
  const db = pgDrizzle(pool);
  afterAll(() => pool.end());

  it('refuses what is not a Drizzle database, and unknown options, naming them', () => {
    expect(() => new DrizzleUnitOfWork({} as never)).toThrow(InvalidArgumentError);
    expect(() => new DrizzleUnitOfWork(null as never)).toThrow(/expected a Drizzle database, got null/);
    expect(() => new DrizzleUnitOfWork(db, { dialekt: 'mysql' } as never)).toThrow(
      /unknown option "dialekt"/,
    );
    expect(() => new DrizzleUnitOfWork(db, { dialect: 'sqlite' as never })).toThrow(/dialect option/);
  });

  it('asks for the dialect of a database that is neither PostgreSQL nor MySQL', () => {
    const other = { transaction: async () => undefined };
    expect(() => new DrizzleUnitOfWork(other as never)).toThrow(/neither a PgDatabase nor a MySqlDatabase/);
    expect(new DrizzleUnitOfWork(other as never, { dialect: 'mysql' }).dialect).toBe('mysql');
  });

  it("hands the work Drizzle's own transaction type", async () => {
    const unitOfWork = new DrizzleUnitOfWork(db);
    await unitOfWork.transaction(async (tx) => {
      expectTypeOf(tx).toEqualTypeOf<Parameters<Parameters<typeof db.transaction>[0]>[0]>();
    });
  });
});
