import type { Pool } from 'mysql2/promise';
import { callerTransactionError, inCallerTransaction } from '../../deferred/caller-transaction.js';
import type { SqlResult, SqlUnitOfWork } from '../../deferred/sql-unit-of-work.js';
import { TransactionStateError } from '../../errors/transaction-state-error.js';
import { toSqlResult } from './mysql-result.js';
import { MysqlUnitOfWork } from './mysql-unit-of-work.js';

/** Runs one statement where the caller put it (a transaction, a session). */
export type Query = (sql: string, params?: readonly unknown[]) => Promise<SqlResult>;

/**
 * How the outbox and the inbox run their own statements (not the caller's `add` or `record`): over a
 * mysql2 pool when they have one — a lone statement autocommits in one round trip, transactions are
 * read committed — or through any `SqlUnitOfWork` of dialect `'mysql'` (an ORM's), a transaction each.
 */
export interface MysqlExecutor {
  /** One statement in a transaction of its own. */
  run: Query;
  /** Statements in one transaction, committed when `work` resolves. */
  transaction<T>(work: (query: Query) => Promise<T>): Promise<T>;
  /**
   * Statements on one connection, outside any transaction where possible: DDL, which MySQL commits
   * implicitly, and session locks (`GET_LOCK`).
   */
  session<T>(work: (query: Query) => Promise<T>): Promise<T>;
}

export function poolExecutor(pool: Pool): MysqlExecutor {
  // A unit of work of its own, not the caller's: a claim called inside a business transaction must not
  // become a savepoint of it. Read committed, so that its locking reads take no gap locks, which would
  // make the INSERTs of business transactions wait.
  const unitOfWork = new MysqlUnitOfWork({ pool, isolationLevel: 'read committed' });
  return {
    run: async (sql, params = []) => toSqlResult((await pool.query(sql, params as unknown[]))[0]),
    transaction: (work) =>
      unitOfWork.transaction((tx) => work((sql, params) => unitOfWork.query(tx, sql, params))),
    session: async (work) => {
      const connection = await pool.getConnection();
      try {
        return await work(async (sql, params = []) =>
          toSqlResult((await connection.query(sql, params as unknown[]))[0]),
        );
      } finally {
        connection.release();
      }
    },
  };
}

/**
 * `ownTransactionsFor` (the component's name, for the error): the component must commit by itself, so
 * it is refused inside the caller's transaction (see `callerTransactionError`).
 */
export function unitOfWorkExecutor<Tx>(
  unitOfWork: SqlUnitOfWork<Tx>,
  where: string,
  ownTransactionsFor?: string,
): MysqlExecutor {
  const transaction = <T>(work: (query: Query) => Promise<T>): Promise<T> => {
    if (ownTransactionsFor !== undefined && inCallerTransaction(unitOfWork)) {
      return Promise.reject(callerTransactionError(ownTransactionsFor));
    }
    return unitOfWork.transaction((tx) => work((sql, params) => unitOfWork.query(tx, sql, params)));
  };
  return {
    run: (sql, params) => transaction((query) => query(sql, params)),
    transaction,
    session: (work) => {
      // DDL would commit the caller's transaction implicitly, if this one were nested in it.
      if ((unitOfWork as { inTransaction?: unknown }).inTransaction === true) {
        return Promise.reject(
          new TransactionStateError(
            `${where}: called inside a transaction of the unit of work; MySQL commits a transaction ` +
              'implicitly at a DDL statement, so call it outside any transaction (at start-up)',
          ),
        );
      }
      return transaction(work);
    },
  };
}
