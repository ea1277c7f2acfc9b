import type { Pool, PoolConnection } from 'mysql2/promise';
import type { SqlDialect, SqlResult, SqlUnitOfWork } from '../../deferred/sql-unit-of-work.js';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { assertKnownOptions, describeValue, optionKeys } from '../../internal/options.js';
import { SavepointFrames, type SavepointFrame } from '../../internal/savepoint-frames.js';
import { toSqlResult } from './mysql-result.js';
import { Connection, rollback, rollbackTo, transactionLost } from './mysql-connection.js';

/** The isolation levels of InnoDB. */
export type MysqlIsolationLevel = 'read uncommitted' | 'read committed' | 'repeatable read' | 'serializable';

export interface MysqlUnitOfWorkOptions {
  /**
   * A `mysql2/promise` pool you create and manage (tidings never ends it); a callback pool of `mysql2`
   * is accepted as well and used through `pool.promise()`.
   */
  pool: Pool;
  /**
   * Isolation level of outermost transactions (`SET TRANSACTION ISOLATION LEVEL …` before each
   * `START TRANSACTION`: one more round trip). `'read committed'` takes no gap locks, so a locking read
   * (a relay's claim) never makes an `INSERT` of another transaction wait.
   * @defaultValue the server's `transaction_isolation` (InnoDB: `'repeatable read'`)
   */
  isolationLevel?: MysqlIsolationLevel;
}

/** Checked by the compiler against MysqlUnitOfWorkOptions: a key added there must be added here. */
const MYSQL_UNIT_OF_WORK_OPTION_KEYS = optionKeys<MysqlUnitOfWorkOptions>({
  pool: true,
  isolationLevel: true,
});

const ISOLATION: Readonly<Record<MysqlIsolationLevel, string>> = {
  'read uncommitted': 'READ UNCOMMITTED',
  'read committed': 'READ COMMITTED',
  'repeatable read': 'REPEATABLE READ',
  serializable: 'SERIALIZABLE',
};

/** The pool behind each MysqlUnitOfWork, for the outbox and the inbox of this folder (not exported). */
const pools = new WeakMap<object, Pool>();

/** The pool of a `MysqlUnitOfWork`, or `undefined` for any other unit of work. */
export function poolOfUnitOfWork(unitOfWork: unknown): Pool | undefined {
  return typeof unitOfWork === 'object' && unitOfWork !== null ? pools.get(unitOfWork) : undefined;
}

/** A `mysql2/promise` pool, from either flavour of mysql2 pool; throws naming `where` otherwise. */
export function promisePool(pool: unknown, where: string): Pool {
  const candidate = pool as Partial<Pool> & { promise?: unknown };
  // mysql2's callback Pool has promise(); its promise wrapper does not, and returns promises.
  if (typeof candidate?.getConnection === 'function' && typeof candidate.promise === 'function') {
    return (candidate.promise as () => Pool)();
  }
  if (typeof candidate?.getConnection !== 'function' || typeof candidate.query !== 'function') {
    throw new InvalidArgumentError(
      `${where}: "pool" must be a mysql2 Pool (from mysql2/promise createPool), got ${describeValue(pool)}`,
    );
  }
  return pool as Pool;
}

/**
 * The MySQL and MariaDB unit of work, over a `mysql2/promise` pool you create and manage. The outermost
 * `transaction()` takes a connection from the pool, runs `work(connection)` between `START TRANSACTION`
 * and `COMMIT` (or `ROLLBACK` when `work` throws) and gives the connection back. A `transaction()`
 * called inside `work` — found through `AsyncLocalStorage`, so it need not be handed the connection —
 * runs on the same connection as a savepoint: when it throws, only its own writes are rolled back and
 * the outer transaction may go on. `query(connection, sql, params)` runs a statement with `?`
 * placeholders in it, for tidings' outbox and inbox (and any code written against `SqlUnitOfWork`).
 *
 * Guarantees:
 * - `transaction()` resolves only once `COMMIT` succeeded. It rejects with a `TransactionStateError`,
 *   rolling back whatever is left, when the transaction ended before `COMMIT`: InnoDB rolled it back on
 *   a deadlock whose error `work` caught, or a DDL statement (`CREATE`, `ALTER`…) committed it
 *   implicitly. If the connection is lost *during* `COMMIT`, the outcome is unknown (the server may have
 *   committed just before): it rejects with the connection error.
 * - A connection that broke (a fatal driver error, a control statement that failed) is destroyed
 *   instead of going back to the pool; one that dies mid-transaction never crashes the process.
 *
 * `work` must await everything it starts on the connection: it goes back to the pool as soon as the
 * transaction ends. A deadlock error caught inside `work` from a statement run directly on the
 * connection is seen only if another statement follows it; through `query()` it always is.
 *
 * @example
 * const pool = mysql.createPool({ uri: process.env.MYSQL_URL });
 * const unitOfWork = new MysqlUnitOfWork({ pool });
 * const flusher = new Flusher({ dispatcher, unitOfWork });
 * await flusher.transaction(async (connection) => {
 *   await connection.query('INSERT INTO orders (id, total) VALUES (?, ?)', [order.id, order.total]);
 *   return [order];
 * });
 *
 * @example
 * // Nested: a savepoint. The outer transaction survives the inner failure.
 * await unitOfWork.transaction(async (connection) => {
 *   await unitOfWork.query(connection, 'INSERT INTO audit (what) VALUES (?)', ['import started']);
 *   await unitOfWork.transaction((c) => importRow(c, row)).catch((error) => report(error));
 * });
 */
export class MysqlUnitOfWork implements SqlUnitOfWork<PoolConnection> {
  readonly dialect: SqlDialect = 'mysql';
  readonly #pool: Pool;
  readonly #begin: readonly string[];
  readonly #frames = new SavepointFrames<Connection>(this);

  constructor(options: MysqlUnitOfWorkOptions) {
    assertKnownOptions(options, MYSQL_UNIT_OF_WORK_OPTION_KEYS, 'MysqlUnitOfWork');
    this.#pool = promisePool(options?.pool, 'MysqlUnitOfWork');
    const level = options.isolationLevel;
    if (level !== undefined && !Object.hasOwn(ISOLATION, level)) {
      throw new InvalidArgumentError(
        `MysqlUnitOfWork: isolationLevel must be one of ${Object.keys(ISOLATION).join(', ')}, got ${describeValue(level)}`,
      );
    }
    // SET TRANSACTION (without SESSION) applies to the next transaction only, so the pooled
    // connection's own level is untouched.
    this.#begin =
      level === undefined
        ? ['START TRANSACTION']
        : [`SET TRANSACTION ISOLATION LEVEL ${ISOLATION[level]}`, 'START TRANSACTION'];
    pools.set(this, this.#pool);
  }

  /** Whether the caller runs inside a transaction of this unit of work (any depth). */
  get inTransaction(): boolean {
    return this.#frames.inTransaction;
  }

  /**
   * Runs one statement (`?` placeholders, values bound by mysql2) on `connection`, the connection of a
   * transaction of this unit of work: `{ rows }` for a `SELECT`, `{ rowCount }` (affected rows) for the
   * others.
   */
  async query<Row = Record<string, unknown>>(
    connection: PoolConnection,
    sql: string,
    params: readonly unknown[] = [],
  ): Promise<SqlResult<Row>> {
    if (typeof (connection as Partial<PoolConnection> | undefined)?.query !== 'function') {
      throw new InvalidArgumentError(
        `query: expected the mysql2 connection of the current transaction, got ${describeValue(connection)}`,
      );
    }
    try {
      const [result] = await connection.query(sql, params as unknown[]);
      return toSqlResult<Row>(result);
    } catch (error) {
      const frame = this.#frames.current;
      if (frame?.connection.connection === connection) frame.connection.noteFailure(error);
      throw error;
    }
  }

  transaction<T>(work: (connection: PoolConnection) => Promise<T>): Promise<T> {
    return this.#frames.transaction(
      work,
      (outermost) => this.#outermost(outermost),
      (parent, nested) => this.#nested(parent, nested),
    );
  }

  async #outermost<T>(work: (connection: PoolConnection) => Promise<T>): Promise<T> {
    const connection = new Connection(await this.#pool.getConnection());
    const raw = connection.connection;
    try {
      for (const statement of this.#begin) await raw.query(statement);
    } catch (error) {
      connection.markBroken(error);
      connection.release();
      throw error;
    }
    const frame: SavepointFrame<Connection> = { connection, depth: 0, ended: false, child: undefined };
    let result: T;
    try {
      result = await this.#frames.runLevel(frame, () => work(raw));
    } catch (error) {
      await rollback(connection);
      connection.release();
      throw error;
    }
    const lost = transactionLost(connection);
    if (lost !== undefined) {
      await rollback(connection);
      connection.release();
      throw lost;
    }
    try {
      await raw.query('COMMIT');
    } catch (error) {
      // A failed COMMIT has ended the transaction; the ROLLBACK only makes sure of it, and a
      // connection that cannot run it is destroyed.
      connection.noteFailure(error);
      await rollback(connection);
      connection.release();
      throw error;
    }
    connection.release();
    return result;
  }

  async #nested<T>(
    parent: SavepointFrame<Connection>,
    work: (connection: PoolConnection) => Promise<T>,
  ): Promise<T> {
    const { connection } = parent;
    const raw = connection.connection;
    const depth = parent.depth + 1;
    // One name per depth is enough: at most one savepoint is open at each depth (see transaction()).
    const savepoint = `tidings_savepoint_${depth}`;
    try {
      await raw.query(`SAVEPOINT ${savepoint}`);
    } catch (error) {
      connection.noteFailure(error);
      throw error;
    }
    const frame: SavepointFrame<Connection> = { connection, depth, ended: false, child: undefined };
    let result: T;
    try {
      result = await this.#frames.runLevel(frame, () => work(raw));
    } catch (error) {
      await rollbackTo(connection, savepoint);
      throw error;
    }
    const lost = transactionLost(connection);
    if (lost !== undefined) throw lost;
    try {
      await raw.query(`RELEASE SAVEPOINT ${savepoint}`);
    } catch (error) {
      connection.noteFailure(error);
      await rollbackTo(connection, savepoint);
      throw error;
    }
    return result;
  }
}
