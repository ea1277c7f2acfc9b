import knex from 'knex';
import { afterAll, describe, expect, it } from 'vitest';
import { KnexUnitOfWork } from 'tidings/knex';
import { InvalidArgumentError } from '../../../src/errors/invalid-argument-error.js';
import { describeSqlUnitOfWork } from '../../contract/sql/sql-unit-of-work.contract.js';
import { MYSQL_URL, PG_URL } from '../../contract/sql/observer.js';

const pgKnex = () => knex({ client: 'pg', connection: PG_URL, pool: { min: 0, max: 4 } });
const mysqlKnex = () => knex({ client: 'mysql2', connection: MYSQL_URL, pool: { min: 0, max: 4 } });

describeSqlUnitOfWork('KnexUnitOfWork', 'postgres', async () => {
  const db = pgKnex();
  return { unitOfWork: new KnexUnitOfWork(db), close: () => db.destroy() };
});

describeSqlUnitOfWork('KnexUnitOfWork', 'mysql', async () => {
  const db = mysqlKnex();
  return { unitOfWork: new KnexUnitOfWork(db), close: () => db.destroy() };
});

describe('KnexUnitOfWork', () => {
  const db = pgKnex();
  afterAll(() => db.destroy());

  it('refuses what is not a Knex instance, and unknown options, naming them', () => {
    expect(() => new KnexUnitOfWork({} as never)).toThrow(InvalidArgumentError);
    expect(() => new KnexUnitOfWork(null as never)).toThrow(/expected a Knex instance, got null/);
    expect(() => new KnexUnitOfWork(db, { dialekt: 'mysql' } as never)).toThrow(/unknown option "dialekt"/);
    expect(() => new KnexUnitOfWork(db, { dialect: 'sqlite' as never })).toThrow(/dialect option/);
  });

  it('asks for the dialect when the Knex client is not pg or mysql2', () => {
    // What a Knex instance of another client looks like to the adapter (sqlite3 is not installed).
    const sqlite = Object.assign(() => undefined, {
      transaction: () => undefined,
      client: { dialect: 'sqlite3' },
    });
    expect(() => new KnexUnitOfWork(sqlite as never)).toThrow(/the dialect option must be/);
    expect(new KnexUnitOfWork(sqlite as never, { dialect: 'mysql' }).dialect).toBe('mysql');
  });

  it('takes the dialect from the client', () => {
    expect(new KnexUnitOfWork(db).dialect).toBe('postgres');
  });
});
