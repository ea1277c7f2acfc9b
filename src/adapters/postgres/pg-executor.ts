import type { Pool } from 'pg';
import { assertSqlUnitOfWork } from '../../deferred/assert-sql-unit-of-work.js';
import { callerTransactionError, inCallerTransaction } from '../../deferred/caller-transaction.js';
import type { SqlResult, SqlUnitOfWork } from '../../deferred/sql-unit-of-work.js';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { pgDriverResult } from '../../internal/driver-result.js';
import { poolOption } from './pg-pool-option.js';
import { PgUnitOfWork, poolOfPgUnitOfWork } from './pg-unit-of-work.js';

/** Runs one statement where the caller put it (a transaction of its own, or the one `transaction` opened). */
export type Query = (sql: string, params?: readonly unknown[]) => Promise<SqlResult>;

/**
 * How the PostgreSQL outbox and inbox run their own statements (not the caller's `add` or `record`):
 * through the unit of work they were given, each operation in a transaction of its own. Over a
 * `PgUnitOfWork`'s pool, a lone statement is sent as it is — PostgreSQL runs it in a transaction of its
 * own, in one round trip instead of three — and transactions take a client of that pool.
 */
export interface PgExecutor {
  /** One statement in a transaction of its own. */
  run: Query;
  /** Statements in one transaction, committed when `work` resolves. */
  transaction<T>(work: (query: Query) => Promise<T>): Promise<T>;
  /** The pool of the `PgUnitOfWork`, if that is what the executor runs on (LISTEN needs one). */
  readonly pool: Pool | undefined;
}

/**
 * `ownTransactionsFor` (the component's name, for the error): the component must commit by itself, so
 * over an ORM's unit of work it is refused inside the caller's transaction (see `callerTransactionError`).
 */
export function pgExecutor<Tx>(unitOfWork: SqlUnitOfWork<Tx>, ownTransactionsFor?: string): PgExecutor {
  const pool = poolOfPgUnitOfWork(unitOfWork);
  if (pool !== undefined) {
    // A unit of work of its own, not the caller's: a claim called inside a business transaction must not
    // become a savepoint of it.
    const own = new PgUnitOfWork({ pool });
    return {
      pool,
      run: async (sql, params = []) => pgDriverResult(await pool.query(sql, [...params])),
      transaction: (work) =>
        own.transaction((client) => work((sql, params) => own.query(client, sql, params))),
    };
  }
  const transaction = <T>(work: (query: Query) => Promise<T>): Promise<T> => {
    if (ownTransactionsFor !== undefined && inCallerTransaction(unitOfWork)) {
      return Promise.reject(callerTransactionError(ownTransactionsFor));
    }
    return unitOfWork.transaction((tx) => work((sql, params) => unitOfWork.query(tx, sql, params)));
  };
  return { pool, run: (sql, params) => transaction((query) => query(sql, params)), transaction };
}

/** The unit of work of the options: `unitOfWork` (checked), or a `PgUnitOfWork` over `pool`. */
export function unitOfWorkOption<Tx>(
  options: { unitOfWork?: SqlUnitOfWork<Tx>; pool?: Pool } | undefined,
  where: string,
): SqlUnitOfWork<Tx> {
  const { unitOfWork, pool } = options ?? {};
  if (unitOfWork === undefined) {
    return new PgUnitOfWork({ pool: poolOption(pool, where) }) as unknown as SqlUnitOfWork<Tx>;
  }
  if (pool !== undefined) {
    throw new InvalidArgumentError(`${where}: give either "unitOfWork" or "pool", not both`);
  }
  assertSqlUnitOfWork(unitOfWork, 'postgres', where);
  return unitOfWork;
}
