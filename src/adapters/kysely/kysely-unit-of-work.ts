import { CompiledQuery, sql as kyselySql } from 'kysely';
import type { Kysely, QueryResult, Transaction } from 'kysely';
import type { SqlDialect, SqlResult, SqlUnitOfWork } from '../../deferred/sql-unit-of-work.js';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { TransactionStateError } from '../../errors/transaction-state-error.js';
import { assertKnownOptions, describeValue, optionKeys } from '../../internal/options.js';
import { TransactionScope } from '../../internal/transaction-scope.js';

export interface KyselyUnitOfWorkOptions {
  /**
   * The database's dialect, for a Kysely dialect whose SQL is not recognised.
   * @defaultValue read from the SQL Kysely compiles: `'postgres'` (`$1`), `'mysql'` (`?`, backquotes)
   */
  dialect?: SqlDialect;
}

/** Checked by the compiler against KyselyUnitOfWorkOptions: a key added there must be added here. */
const KYSELY_UNIT_OF_WORK_OPTION_KEYS = optionKeys<KyselyUnitOfWorkOptions>({ dialect: true });

/**
 * The unit of work over a `Kysely` instance you create and manage: `transaction(work)` runs `work` in
 * `db.transaction().execute()` and hands it the `Transaction` (use it for your own queries). Kysely
 * 0.28 cannot nest those callbacks, so a `transaction()` called inside `work` runs as a `SAVEPOINT` on
 * the same transaction (found through `AsyncLocalStorage`): when it throws, only its own writes are
 * undone. `transaction()` resolves after `COMMIT`.
 *
 * `query` runs `CompiledQuery.raw(sql, params)`: the dialect's own placeholders (`$1`, `?`).
 *
 * @example
 * import { Kysely, PostgresDialect } from 'kysely';
 * import { KyselyUnitOfWork } from 'tidings/kysely';
 *
 * const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
 * const flusher = new Flusher({ dispatcher, unitOfWork: new KyselyUnitOfWork(db) });
 * await flusher.transaction(async (trx) => {
 *   await trx.insertInto('orders').values({ id: order.id, total: order.total }).execute();
 *   return [order];
 * });
 */
export class KyselyUnitOfWork<DB = unknown> implements SqlUnitOfWork<Transaction<DB>> {
  readonly dialect: SqlDialect;
  readonly #db: Kysely<DB>;
  readonly #scope = new TransactionScope<Transaction<DB>>();
  /** Transactions in which a savepoint could not be rolled back: they must not commit. */
  readonly #unsafe = new WeakSet<Transaction<DB>>();

  constructor(db: Kysely<DB>, options: KyselyUnitOfWorkOptions = {}) {
    if (typeof (db as Partial<Kysely<DB>> | undefined)?.transaction !== 'function') {
      throw new InvalidArgumentError(
        `KyselyUnitOfWork: expected a Kysely instance, got ${describeValue(db)}`,
      );
    }
    if (db.isTransaction) {
      throw new InvalidArgumentError(
        'KyselyUnitOfWork: expected a Kysely instance, got one of its transactions (pass the Kysely ' +
          'instance: the unit of work opens the transactions)',
      );
    }
    assertKnownOptions(options, KYSELY_UNIT_OF_WORK_OPTION_KEYS, 'KyselyUnitOfWork');
    const dialect = options.dialect ?? detectDialect(db);
    if (dialect !== 'postgres' && dialect !== 'mysql') {
      throw new InvalidArgumentError(
        `KyselyUnitOfWork: the dialect option must be 'postgres' or 'mysql', got ${describeValue(dialect)}` +
          (options.dialect === undefined ? " (Kysely's SQL is neither PostgreSQL's nor MySQL's)" : ''),
      );
    }
    this.#db = db;
    this.dialect = dialect;
  }

  /** Whether the caller runs inside a transaction of this unit of work (any depth). */
  get inTransaction(): boolean {
    return this.#scope.inTransaction;
  }

  transaction<T>(work: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
    return this.#scope.transaction(
      work,
      (run) =>
        this.#db.transaction().execute(async (trx) => {
          const result = await run(trx);
          if (this.#unsafe.has(trx)) {
            throw new TransactionStateError(
              'transaction: a nested transaction failed and its savepoint could not be rolled back, so ' +
                'the transaction was rolled back instead of committing writes that should have been undone',
            );
          }
          return result;
        }),
      async ({ tx, depth }, run) => {
        // One name per depth is enough: TransactionScope runs one nested transaction at a time per level.
        const savepoint = `tidings_savepoint_${depth + 1}`;
        await this.#run(tx, `SAVEPOINT ${savepoint}`);
        let result: T;
        try {
          result = await run(tx);
        } catch (error) {
          await this.#run(tx, `ROLLBACK TO SAVEPOINT ${savepoint}`).catch(() => this.#unsafe.add(tx));
          throw error;
        }
        await this.#run(tx, `RELEASE SAVEPOINT ${savepoint}`);
        return result;
      },
    );
  }

  async query<Row = Record<string, unknown>>(
    trx: Transaction<DB>,
    sql: string,
    params: readonly unknown[] = [],
  ): Promise<SqlResult<Row>> {
    const { rows, numAffectedRows } = await this.#run<Row>(trx, sql, params);
    return { rows, rowCount: numAffectedRows === undefined ? rows.length : Number(numAffectedRows) };
  }

  #run<Row>(trx: Transaction<DB>, sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
    return trx.executeQuery<Row>(CompiledQuery.raw(sql, [...params]));
  }
}

/** The dialect of the SQL the instance compiles: `"t" = $1` (PostgreSQL), `` `t` = ? `` (MySQL). */
function detectDialect<DB>(db: Kysely<DB>): SqlDialect | undefined {
  const { sql } = kyselySql`${kyselySql.id('t')} = ${1}`.compile(db);
  if (sql === '"t" = $1') return 'postgres';
  if (sql === '`t` = ?') return 'mysql';
  return undefined;
}
