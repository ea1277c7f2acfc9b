import { is, sql as drizzleSql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import { MySqlDatabase } from 'drizzle-orm/mysql-core';
import { PgDatabase } from 'drizzle-orm/pg-core';
import type { SqlDialect, SqlResult, SqlUnitOfWork } from '../../deferred/sql-unit-of-work.js';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { mysql2DriverResult, pgDriverResult } from '../../internal/driver-result.js';
import { assertKnownOptions, describeValue, optionKeys } from '../../internal/options.js';
import { TransactionScope } from '../../internal/transaction-scope.js';

export interface DrizzleUnitOfWorkOptions {
  /**
   * The database's dialect, for a Drizzle database that is neither a `PgDatabase` nor a `MySqlDatabase`.
   * @defaultValue read from the database: `'postgres'` for `PgDatabase`, `'mysql'` for `MySqlDatabase`
   */
  dialect?: SqlDialect;
}

/** Checked by the compiler against DrizzleUnitOfWorkOptions: a key added there must be added here. */
const DRIZZLE_UNIT_OF_WORK_OPTION_KEYS = optionKeys<DrizzleUnitOfWorkOptions>({ dialect: true });

/** What the adapter needs of a Drizzle database or transaction: `PgDatabase`, `MySqlDatabase`, theirs. */
export interface DrizzleDatabase<Tx> {
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
}

/** What the adapter needs of a Drizzle transaction: run a `SQL`, nest a transaction (a savepoint). */
export interface DrizzleTransaction<Tx> extends DrizzleDatabase<Tx> {
  execute(query: SQL): PromiseLike<unknown>;
}

/**
 * The unit of work over a Drizzle database you create and manage (`drizzle(pool)` of
 * `drizzle-orm/node-postgres` or `drizzle-orm/mysql2`): `transaction(work)` runs `work` in
 * `db.transaction()` and hands it the transaction (use it for your own queries); a `transaction()`
 * called inside `work` nests as a savepoint (`tx.transaction()`), so when it throws, only its own
 * writes are undone. `transaction()` resolves after `COMMIT`.
 *
 * `query` turns the statement and its parameters into a Drizzle `SQL` (`sql.raw` between the
 * placeholders, `sql.param` for each): `$1…$n` on PostgreSQL, `?` on MySQL, outside string literals.
 *
 * @example
 * import { drizzle } from 'drizzle-orm/node-postgres';
 * import { DrizzleUnitOfWork } from 'tidings/drizzle';
 *
 * const db = drizzle(pool);
 * const flusher = new Flusher({ dispatcher, unitOfWork: new DrizzleUnitOfWork(db) });
 * await flusher.transaction(async (tx) => {
 *   await tx.insert(orders).values({ id: order.id, total: order.total });
 *   return [order];
 * });
 */
export class DrizzleUnitOfWork<Tx extends DrizzleTransaction<Tx>> implements SqlUnitOfWork<Tx> {
  readonly dialect: SqlDialect;
  readonly #db: DrizzleDatabase<Tx>;
  readonly #scope = new TransactionScope<Tx>();

  constructor(db: DrizzleDatabase<Tx>, options: DrizzleUnitOfWorkOptions = {}) {
    if (typeof (db as Partial<DrizzleDatabase<Tx>> | undefined)?.transaction !== 'function') {
      throw new InvalidArgumentError(
        `DrizzleUnitOfWork: expected a Drizzle database, got ${describeValue(db)}`,
      );
    }
    assertKnownOptions(options, DRIZZLE_UNIT_OF_WORK_OPTION_KEYS, 'DrizzleUnitOfWork');
    const detected = is(db, PgDatabase) ? 'postgres' : is(db, MySqlDatabase) ? 'mysql' : undefined;
    const dialect = options.dialect ?? detected;
    if (dialect !== 'postgres' && dialect !== 'mysql') {
      throw new InvalidArgumentError(
        `DrizzleUnitOfWork: the dialect option must be 'postgres' or 'mysql', got ${describeValue(dialect)}` +
          (detected === undefined ? ' (the database is neither a PgDatabase nor a MySqlDatabase)' : ''),
      );
    }
    this.#db = db;
    this.dialect = dialect;
  }

  /** Whether the caller runs inside a transaction of this unit of work (any depth). */
  get inTransaction(): boolean {
    return this.#scope.inTransaction;
  }

  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.#scope.transaction(
      work,
      (run) => this.#db.transaction(run),
      (parent, run) => parent.tx.transaction(run),
    );
  }

  async query<Row = Record<string, unknown>>(
    tx: Tx,
    sql: string,
    params: readonly unknown[] = [],
  ): Promise<SqlResult<Row>> {
    const result = await tx.execute(toDrizzleSql(sql, params, this.dialect));
    return (
      this.dialect === 'postgres' ? pgDriverResult(result) : mysql2DriverResult(result)
    ) as SqlResult<Row>;
  }
}

/** `$n` (taking parameter n, so in any order and repeated) or `?` (the next parameter). */
const PLACEHOLDER: Readonly<Record<SqlDialect, RegExp>> = { postgres: /\$(\d+)/g, mysql: /\?/g };

function toDrizzleSql(text: string, params: readonly unknown[], dialect: SqlDialect): SQL {
  const chunks: SQL[] = [];
  let last = 0;
  let next = 0;
  for (const match of text.matchAll(PLACEHOLDER[dialect])) {
    chunks.push(drizzleSql.raw(text.slice(last, match.index)));
    const index = match[1] === undefined ? next++ : Number(match[1]) - 1;
    chunks.push(drizzleSql`${drizzleSql.param(params[index])}`);
    last = match.index + match[0].length;
  }
  chunks.push(drizzleSql.raw(text.slice(last)));
  return drizzleSql.join(chunks);
}
