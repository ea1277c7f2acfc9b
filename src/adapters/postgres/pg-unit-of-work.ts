import type { Pool, PoolClient } from 'pg';
import type { SqlResult, SqlUnitOfWork } from '../../deferred/sql-unit-of-work.js';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { TransactionStateError } from '../../errors/transaction-state-error.js';
import { pgDriverResult } from '../../internal/driver-result.js';
import { assertKnownOptions, describeValue, optionKeys } from '../../internal/options.js';
import { SavepointFrames, type SavepointFrame } from '../../internal/savepoint-frames.js';
import { checkOut, type CheckedOutClient } from './pg-checkout.js';
import { looksLikePool, poolOption } from './pg-pool-option.js';

/** PostgreSQL isolation levels (`read uncommitted` behaves as `read committed` there, so it is left out). */
export type PgIsolationLevel = 'read committed' | 'repeatable read' | 'serializable';

export interface PgUnitOfWorkOptions {
  /**
   * A `pg` `Pool` you create and manage (tidings never ends it). Each outermost transaction takes one
   * client of it for as long as it runs.
   */
  pool: Pool;
  /**
   * Isolation level of outermost transactions. With `'serializable'` (or `'repeatable read'`) a
   * transaction may fail with a serialization error (SQLSTATE 40001) at any statement or at `COMMIT`:
   * `transaction()` then rejects with it and the caller retries the whole unit of work.
   * @defaultValue the server's `default_transaction_isolation` (usually `'read committed'`)
   */
  isolationLevel?: PgIsolationLevel;
}

const OPTION_KEYS = optionKeys<PgUnitOfWorkOptions>({ pool: true, isolationLevel: true });

const BEGIN: Readonly<Record<PgIsolationLevel, string>> = {
  'read committed': 'BEGIN ISOLATION LEVEL READ COMMITTED',
  'repeatable read': 'BEGIN ISOLATION LEVEL REPEATABLE READ',
  serializable: 'BEGIN ISOLATION LEVEL SERIALIZABLE',
};

/** SQLSTATE 25P02: "current transaction is aborted, commands ignored until end of transaction block". */
const IN_FAILED_TRANSACTION = '25P02';

/** The pool of each PgUnitOfWork, for the adapters that also need one (PgOutbox's LISTEN). */
const pools = new WeakMap<object, Pool>();

/** The pool a `PgUnitOfWork` runs on; `undefined` for any other unit of work. */
export function poolOfPgUnitOfWork(unitOfWork: unknown): Pool | undefined {
  return typeof unitOfWork === 'object' && unitOfWork !== null ? pools.get(unitOfWork) : undefined;
}

/** One checked-out client, and whether it can still be trusted (see `release`). */
class Connection {
  /** Set when the client emitted `'error'` or a control statement failed: the pool must discard it. */
  #broken: unknown;
  readonly #onError = (error: Error): void => {
    // pg-pool removes its own error listener while a client is checked out, so without this one a
    // connection that dies mid-transaction (server restart, pg_terminate_backend) would emit an
    // unhandled 'error' and crash the process. The failing query rejects on its own.
    this.#broken ??= error;
  };

  readonly client: PoolClient;

  constructor(checkedOut: CheckedOutClient) {
    this.client = checkedOut.client;
    this.client.on('error', this.#onError);
    const early = checkedOut.takeEarlyError();
    if (early !== undefined) this.#broken = early;
  }

  get broken(): boolean {
    return this.#broken !== undefined;
  }

  markBroken(error: unknown): void {
    this.#broken ??= error;
  }

  /** Returns the client to the pool, or has the pool destroy it if it is broken. */
  release(): void {
    this.client.off('error', this.#onError);
    const broken = this.#broken;
    this.client.release(broken === undefined ? undefined : broken instanceof Error ? broken : true);
  }
}

/**
 * The PostgreSQL unit of work, over a `pg` `Pool` you create and manage. The outermost `transaction()`
 * takes a client from the pool, runs `work(client)` between `BEGIN` and `COMMIT` (or `ROLLBACK` when
 * `work` throws) and gives the client back. A `transaction()` called inside `work` — found through
 * `AsyncLocalStorage`, so it need not be handed the client — runs on the same client as a savepoint:
 * when it throws, only its own writes are rolled back and the outer transaction may go on.
 *
 * Guarantees:
 * - `transaction()` resolves only once `COMMIT` succeeded. A `COMMIT` that fails (a deferred constraint,
 *   a serialization failure, a lost connection) rejects with the database's error, and so does one that
 *   PostgreSQL silently turned into a rollback because a failed statement's error was caught inside
 *   `work` (a `TransactionStateError`). If the connection is lost *during* `COMMIT`, the outcome is
 *   unknown (the server may have committed just before): it rejects with the connection error, as pg does.
 * - A client whose connection broke is released with the error, so the pool discards it instead of
 *   handing it out again; a connection that dies mid-transaction never crashes the process.
 *
 * `work` must await everything it starts on the client: the client goes back to the pool as soon as the
 * transaction ends.
 *
 * @example
 * const unitOfWork = new PgUnitOfWork({ pool });
 * const flusher = new Flusher({ dispatcher, unitOfWork });
 * await flusher.transaction(async (client) => {
 *   await client.query('INSERT INTO orders (id, total) VALUES ($1, $2)', [order.id, order.total]);
 *   return [order];
 * });
 *
 * It is a `SqlUnitOfWork` (dialect `'postgres'`): `query(client, sql, params)` runs a statement on the
 * client of the transaction, which is what `PgOutbox`, `PgInbox` and any other SQL adapter of tidings use.
 *
 * @example
 * // Nested: a savepoint. The outer transaction survives the inner failure.
 * await unitOfWork.transaction(async (client) => {
 *   await client.query('INSERT INTO audit (what) VALUES ($1)', ['import started']);
 *   await unitOfWork.transaction((c) => importRow(c, row)).catch((error) => report(error));
 * });
 */
export class PgUnitOfWork implements SqlUnitOfWork<PoolClient> {
  readonly dialect = 'postgres' as const;
  readonly #pool: Pool;
  readonly #begin: string;
  readonly #frames = new SavepointFrames<Connection>(this);

  constructor(options: PgUnitOfWorkOptions) {
    if (looksLikePool(options)) {
      throw new InvalidArgumentError(
        'PgUnitOfWork: takes an options object with the pool in it: new PgUnitOfWork({ pool })',
      );
    }
    assertKnownOptions(options, OPTION_KEYS, 'PgUnitOfWork');
    const pool = poolOption(options?.pool, 'PgUnitOfWork');
    const level = options.isolationLevel;
    if (level !== undefined && !Object.hasOwn(BEGIN, level)) {
      throw new InvalidArgumentError(
        `PgUnitOfWork: isolationLevel must be one of ${Object.keys(BEGIN).join(', ')}, got ${describeValue(level)}`,
      );
    }
    this.#pool = pool;
    this.#begin = level === undefined ? 'BEGIN' : BEGIN[level];
    pools.set(this, pool);
  }

  /** Whether the caller runs inside a transaction of this unit of work (any depth). */
  get inTransaction(): boolean {
    return this.#frames.inTransaction;
  }

  /**
   * Runs one statement (`$1…$n` placeholders) on `client`, the client a `transaction()` of this unit of
   * work handed to its `work`.
   *
   * @example
   * await unitOfWork.transaction(async (client) => {
   *   const { rowCount } = await unitOfWork.query(client, 'UPDATE orders SET paid = true WHERE id = $1', [id]);
   * });
   */
  async query<Row = Record<string, unknown>>(
    client: PoolClient,
    sql: string,
    params: readonly unknown[] = [],
  ): Promise<SqlResult<Row>> {
    if (typeof (client as Partial<PoolClient> | undefined)?.query !== 'function') {
      throw new InvalidArgumentError(
        `query: expected the pg client of the current transaction, got ${describeValue(client)}`,
      );
    }
    return pgDriverResult(await client.query(sql, [...params])) as SqlResult<Row>;
  }

  transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.#frames.transaction(
      work,
      (outermost) => this.#outermost(outermost),
      (parent, nested) => this.#nested(parent, nested),
    );
  }

  async #outermost<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const connection = new Connection(await checkOut(this.#pool));
    const { client } = connection;
    try {
      await client.query(this.#begin);
    } catch (error) {
      connection.markBroken(error);
      connection.release();
      throw error;
    }
    const frame: SavepointFrame<Connection> = { connection, depth: 0, ended: false, child: undefined };
    let result: T;
    try {
      result = await this.#frames.runLevel(frame, () => work(client));
    } catch (error) {
      if (!connection.broken) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          // The work's error is the one the caller must see; a client that cannot roll back is
          // discarded, which ends the transaction on the server as well.
          connection.markBroken(rollbackError);
        }
      }
      connection.release();
      throw error;
    }
    let command: string;
    try {
      ({ command } = await client.query('COMMIT'));
    } catch (error) {
      // A failed COMMIT has already ended the transaction on the server; the ROLLBACK only makes sure
      // of it (it is a no-op with a warning otherwise), and a client that cannot run it is discarded.
      if (!connection.broken) await client.query('ROLLBACK').catch((e) => connection.markBroken(e));
      connection.release();
      throw error;
    }
    connection.release();
    if (command === 'ROLLBACK') {
      throw new TransactionStateError(
        'transaction: PostgreSQL rolled the transaction back instead of committing it, because a ' +
          'statement failed inside it and its error was caught; nothing was committed',
      );
    }
    return result;
  }

  async #nested<T>(parent: SavepointFrame<Connection>, work: (client: PoolClient) => Promise<T>): Promise<T> {
    const { connection } = parent;
    const { client } = connection;
    const depth = parent.depth + 1;
    // One name per depth is enough: at most one savepoint is open at each depth (see transaction()).
    const savepoint = `tidings_savepoint_${depth}`;
    await client.query(`SAVEPOINT ${savepoint}`);
    const frame: SavepointFrame<Connection> = { connection, depth, ended: false, child: undefined };
    let result: T;
    try {
      result = await this.#frames.runLevel(frame, () => work(client));
    } catch (error) {
      await this.#rollbackTo(connection, savepoint);
      throw error;
    }
    try {
      await client.query(`RELEASE SAVEPOINT ${savepoint}`);
    } catch (error) {
      await this.#rollbackTo(connection, savepoint);
      if ((error as { code?: unknown }).code === IN_FAILED_TRANSACTION) {
        throw new TransactionStateError(
          'transaction: a statement failed inside the nested transaction and its error was caught, so ' +
            'PostgreSQL aborted it; its savepoint was rolled back',
          { cause: error },
        );
      }
      throw error;
    }
    return result;
  }

  async #rollbackTo(connection: Connection, savepoint: string): Promise<void> {
    if (connection.broken) return;
    try {
      // One round trip; releasing the savepoint afterwards keeps the savepoint stack as it was.
      await connection.client.query(`ROLLBACK TO SAVEPOINT ${savepoint}; RELEASE SAVEPOINT ${savepoint}`);
    } catch (error) {
      // The outer transaction can no longer be trusted: its COMMIT will fail, and the client is
      // discarded at the end.
      connection.markBroken(error);
    }
  }
}
