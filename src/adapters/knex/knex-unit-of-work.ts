import type { Knex } from 'knex';
import type { SqlDialect, SqlResult, SqlUnitOfWork } from '../../deferred/sql-unit-of-work.js';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { mysql2DriverResult, pgDriverResult } from '../../internal/driver-result.js';
import { assertKnownOptions, describeValue, optionKeys } from '../../internal/options.js';
import { toQuestionMarks } from '../../internal/placeholders.js';
import { TransactionScope } from '../../internal/transaction-scope.js';

export interface KnexUnitOfWorkOptions {
  /**
   * The database's dialect, for a Knex client whose dialect is not recognised.
   * @defaultValue read from the Knex client: `'postgres'` for `pg`, `'mysql'` for `mysql`/`mysql2`
   */
  dialect?: SqlDialect;
}

/** Checked by the compiler against KnexUnitOfWorkOptions: a key added there must be added here. */
const KNEX_UNIT_OF_WORK_OPTION_KEYS = optionKeys<KnexUnitOfWorkOptions>({ dialect: true });

/** Knex client dialects (`knex.client.dialect`) tidings knows the SQL of. */
const DIALECTS: Readonly<Record<string, SqlDialect>> = { postgresql: 'postgres', mysql: 'mysql' };

/**
 * The unit of work over a Knex instance you create and manage: `transaction(work)` runs `work` in
 * `knex.transaction()` and hands it the `Knex.Transaction` (use it for your own queries); a
 * `transaction()` called inside `work` nests as a savepoint (`trx.transaction()`), so when it throws,
 * only its own writes are undone. `transaction()` resolves after `COMMIT`.
 *
 * `query` takes the dialect's placeholders (`$1` on PostgreSQL, `?` on MySQL) and binds them through
 * `trx.raw` (which binds only `?`: `$n` are rewritten). Supported Knex clients: `pg` and `mysql2`
 * (MySQL or MariaDB).
 *
 * @example
 * import knex from 'knex';
 * import { KnexUnitOfWork } from 'tidings/knex';
 *
 * const db = knex({ client: 'pg', connection: process.env.DATABASE_URL });
 * const flusher = new Flusher({ dispatcher, unitOfWork: new KnexUnitOfWork(db) });
 * await flusher.transaction(async (trx) => {
 *   await trx('orders').insert({ id: order.id, total: order.total });
 *   return [order];
 * });
 */
export class KnexUnitOfWork implements SqlUnitOfWork<Knex.Transaction> {
  readonly dialect: SqlDialect;
  readonly #knex: Knex;
  readonly #scope = new TransactionScope<Knex.Transaction>();

  constructor(knex: Knex, options: KnexUnitOfWorkOptions = {}) {
    if (typeof knex !== 'function' || typeof (knex as Partial<Knex>).transaction !== 'function') {
      throw new InvalidArgumentError(`KnexUnitOfWork: expected a Knex instance, got ${describeValue(knex)}`);
    }
    assertKnownOptions(options, KNEX_UNIT_OF_WORK_OPTION_KEYS, 'KnexUnitOfWork');
    const detected = DIALECTS[String((knex.client as { dialect?: unknown } | undefined)?.dialect)];
    const dialect = options.dialect ?? detected;
    if (dialect !== 'postgres' && dialect !== 'mysql') {
      throw new InvalidArgumentError(
        `KnexUnitOfWork: the dialect option must be 'postgres' or 'mysql', got ${describeValue(dialect)}` +
          (detected === undefined
            ? ' (the Knex client is not pg or mysql2, so it cannot be read from it)'
            : ''),
      );
    }
    this.#knex = knex;
    this.dialect = dialect;
  }

  /** Whether the caller runs inside a transaction of this unit of work (any depth). */
  get inTransaction(): boolean {
    return this.#scope.inTransaction;
  }

  transaction<T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.#scope.transaction(
      work,
      (run) => this.#knex.transaction(run),
      (parent, run) => parent.tx.transaction(run),
    );
  }

  async query<Row = Record<string, unknown>>(
    trx: Knex.Transaction,
    sql: string,
    params: readonly unknown[] = [],
  ): Promise<SqlResult<Row>> {
    const statement =
      this.dialect === 'postgres' ? toQuestionMarks(sql, params) : { sql, params: [...params] };
    const result: unknown = await trx.raw(statement.sql, statement.params as Knex.RawBinding[]);
    return (
      this.dialect === 'postgres' ? pgDriverResult(result) : mysql2DriverResult(result)
    ) as SqlResult<Row>;
  }
}
