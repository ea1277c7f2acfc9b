import { Kysely, MysqlDialect, PostgresDialect, SqliteAdapter, SqliteQueryCompiler } from 'kysely';
import { createPool as createMysqlPool } from 'mysql2';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { KyselyUnitOfWork } from 'tidings/kysely';
import { InvalidArgumentError } from '../../../src/errors/invalid-argument-error.js';
import { TransactionStateError } from '../../../src/errors/transaction-state-error.js';
import { describeSqlUnitOfWork } from '../../contract/sql/sql-unit-of-work.contract.js';
import { MYSQL_URL, PG_URL } from '../../contract/sql/observer.js';

const pgKysely = () =>
  new Kysely<any>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: PG_URL, max: 4 }) }),
  });
const mysqlKysely = () =>
  new Kysely<any>({
    dialect: new MysqlDialect({ pool: createMysqlPool({ uri: MYSQL_URL, connectionLimit: 4 }) }),
  });

describeSqlUnitOfWork('KyselyUnitOfWork', 'postgres', async () => {
  const db = pgKysely();
  return { unitOfWork: new KyselyUnitOfWork(db), close: () => db.destroy() };
});

describeSqlUnitOfWork('KyselyUnitOfWork', 'mysql', async () => {
  const db = mysqlKysely();
  return { unitOfWork: new KyselyUnitOfWork(db), close: () => db.destroy() };
});

describe('KyselyUnitOfWork', () => {
  const db = pgKysely();
  afterAll(() => db.destroy());

  it('refuses what is not a Kysely instance, a transaction, and unknown options, naming them', async () => {
    expect(() => new KyselyUnitOfWork({} as never)).toThrow(InvalidArgumentError);
    expect(() => new KyselyUnitOfWork(undefined as never)).toThrow(
      /expected a Kysely instance, got undefined/,
    );
    expect(() => new KyselyUnitOfWork(db, { dialekt: 'mysql' } as never)).toThrow(/unknown option "dialekt"/);
    expect(() => new KyselyUnitOfWork(db, { dialect: 'sqlite' as never })).toThrow(/dialect option/);
    await db.transaction().execute(async (trx) => {
      expect(() => new KyselyUnitOfWork(trx)).toThrow(/got one of its transactions/);
    });
  });

  it('asks for the dialect when Kysely compiles another SQL', () => {
    const sqlite = new Kysely<any>({
      dialect: {
        createAdapter: () => new SqliteAdapter(),
        createDriver: () => ({}) as never,
        createIntrospector: () => ({}) as never,
        createQueryCompiler: () => new SqliteQueryCompiler(),
      },
    });
    expect(() => new KyselyUnitOfWork(sqlite)).toThrow(/the dialect option must be/);
    expect(new KyselyUnitOfWork(sqlite, { dialect: 'postgres' }).dialect).toBe('postgres');
  });

  it('refuses a nested transaction started after its outer one ended', async () => {
    const unitOfWork = new KyselyUnitOfWork(db);
    let escaped: Promise<unknown> | undefined;
    await unitOfWork.transaction(async () => {
      escaped = new Promise((resolve) => setTimeout(resolve, 20)).then(() =>
        unitOfWork.transaction(async () => 'late'),
      );
    });
    await expect(escaped).rejects.toBeInstanceOf(TransactionStateError);
  });

  it('refuses two nested transactions side by side', async () => {
    const unitOfWork = new KyselyUnitOfWork(db);
    await unitOfWork.transaction(async () => {
      const first = unitOfWork.transaction(async () => 'first');
      await expect(unitOfWork.transaction(async () => 'second')).rejects.toBeInstanceOf(
        TransactionStateError,
      );
      await first;
    });
  });
});
