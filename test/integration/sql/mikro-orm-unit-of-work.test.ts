import { MikroORM as MariaDbOrm } from '@mikro-orm/mariadb';
import { MikroORM as PostgreSqlOrm } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MikroOrmUnitOfWork } from 'tidings/mikro-orm';
import { InvalidArgumentError } from '../../../src/errors/invalid-argument-error.js';
import { TransactionStateError } from '../../../src/errors/transaction-state-error.js';
import { describeSqlUnitOfWork } from '../../contract/sql/sql-unit-of-work.contract.js';
import { MYSQL_URL, PG_URL } from '../../contract/sql/observer.js';

// No entities: the contract runs raw SQL only. discovery.warnWhenNoEntities keeps init quiet about it.
const common = { entities: [], discovery: { warnWhenNoEntities: false }, pool: { min: 0, max: 4 } };
const pgOrm = () => PostgreSqlOrm.init({ ...common, clientUrl: PG_URL });

describeSqlUnitOfWork('MikroOrmUnitOfWork', 'postgres', async () => {
  const orm = await pgOrm();
  return { unitOfWork: new MikroOrmUnitOfWork(orm.em), close: () => orm.close() };
});

describeSqlUnitOfWork('MikroOrmUnitOfWork', 'mysql', async () => {
  const orm = await MariaDbOrm.init({ ...common, clientUrl: MYSQL_URL });
  return { unitOfWork: new MikroOrmUnitOfWork(orm.em), close: () => orm.close() };
});

describe('MikroOrmUnitOfWork', () => {
  let orm: PostgreSqlOrm;
  beforeAll(async () => {
    orm = await pgOrm();
  });
  afterAll(() => orm.close());

  it('refuses what is not an EntityManager, and unknown options, naming them', () => {
    expect(() => new MikroOrmUnitOfWork({} as never)).toThrow(InvalidArgumentError);
    expect(() => new MikroOrmUnitOfWork(orm as never)).toThrow(
      /expected a MikroORM EntityManager \(orm.em\), got an instance of/,
    );
    expect(() => new MikroOrmUnitOfWork(orm.em, { dialekt: 'mysql' } as never)).toThrow(
      /unknown option "dialekt"/,
    );
    expect(() => new MikroOrmUnitOfWork(orm.em, { dialect: 'sqlite' as never })).toThrow(/dialect option/);
  });

  it('asks for the dialect of a driver it does not know', () => {
    const other = {
      transactional: async () => undefined,
      getConnection: () => ({ getDefaultClientUrl: () => '' }),
    };
    expect(() => new MikroOrmUnitOfWork(other as never)).toThrow(/driver is not one tidings knows/);
    expect(new MikroOrmUnitOfWork(other as never, { dialect: 'mysql' }).dialect).toBe('mysql');
  });

  it('refuses to query through an EntityManager outside a transaction', async () => {
    const unitOfWork = new MikroOrmUnitOfWork(orm.em);
    await expect(unitOfWork.query(orm.em.fork(), 'SELECT 1')).rejects.toBeInstanceOf(TransactionStateError);
  });

  it('hands the work a fork of the EntityManager, inside the transaction', async () => {
    const unitOfWork = new MikroOrmUnitOfWork(orm.em);
    await unitOfWork.transaction(async (em) => {
      expect(em).not.toBe(orm.em);
      expect(em.getTransactionContext()).toBeDefined();
    });
  });
});
