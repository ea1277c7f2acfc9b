import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TypeOrmUnitOfWork } from 'tidings/typeorm';
import { InvalidArgumentError } from '../../../src/errors/invalid-argument-error.js';
import { TransactionStateError } from '../../../src/errors/transaction-state-error.js';
import { describeSqlUnitOfWork } from '../../contract/sql/sql-unit-of-work.contract.js';
import { MYSQL_URL, PG_URL } from '../../contract/sql/observer.js';

const pgSource = () => new DataSource({ type: 'postgres', url: PG_URL, extra: { max: 4 } });

describeSqlUnitOfWork('TypeOrmUnitOfWork', 'postgres', async () => {
  const source = await pgSource().initialize();
  return { unitOfWork: new TypeOrmUnitOfWork(source), close: () => source.destroy() };
});

describeSqlUnitOfWork('TypeOrmUnitOfWork', 'mysql', async () => {
  const source = await new DataSource({
    type: 'mysql',
    url: MYSQL_URL,
    extra: { connectionLimit: 4 },
  }).initialize();
  return { unitOfWork: new TypeOrmUnitOfWork(source), close: () => source.destroy() };
});

describeSqlUnitOfWork('TypeOrmUnitOfWork over an EntityManager', 'postgres', async () => {
  const source = await pgSource().initialize();
  return { unitOfWork: new TypeOrmUnitOfWork(source.manager), close: () => source.destroy() };
});

describe('TypeOrmUnitOfWork', () => {
  let source: DataSource;
  beforeAll(async () => {
    source = await pgSource().initialize();
  });
  afterAll(() => source.destroy());

  it('refuses what is not a DataSource or EntityManager, and unknown options, naming them', () => {
    expect(() => new TypeOrmUnitOfWork({} as never)).toThrow(InvalidArgumentError);
    expect(() => new TypeOrmUnitOfWork(42 as never)).toThrow(
      /expected a TypeORM DataSource or EntityManager, got number 42/,
    );
    expect(() => new TypeOrmUnitOfWork(source, { dialekt: 'mysql' } as never)).toThrow(
      /unknown option "dialekt"/,
    );
    expect(() => new TypeOrmUnitOfWork(source, { dialect: 'sqlite' as never })).toThrow(/dialect option/);
  });

  it('asks for the dialect of a driver type it does not know', () => {
    // What a data source of another driver looks like to the adapter (better-sqlite3 is not installed).
    const other = { transaction: async () => undefined, options: { type: 'better-sqlite3' } } as never;
    expect(() => new TypeOrmUnitOfWork(other)).toThrow(/type "better-sqlite3" is not one tidings knows/);
    expect(new TypeOrmUnitOfWork(other, { dialect: 'postgres' }).dialect).toBe('postgres');
  });

  it('refuses to query through a manager that is not a transaction’s', async () => {
    const unitOfWork = new TypeOrmUnitOfWork(source);
    await expect(unitOfWork.query(source.manager, 'SELECT 1')).rejects.toBeInstanceOf(TransactionStateError);
  });
});
