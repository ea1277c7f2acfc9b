import type { UnitOfWork } from './unit-of-work.js';

/** The SQL tidings writes: PostgreSQL's, or MySQL's (MariaDB included). */
export type SqlDialect = 'postgres' | 'mysql';

/** What one statement returned. */
export interface SqlResult<Row = Record<string, unknown>> {
  /** The rows of a `SELECT` or `… RETURNING`; empty for other statements. */
  readonly rows: Row[];
  /** Rows inserted, updated or deleted (for a `SELECT`: the rows returned). */
  readonly rowCount: number;
}

/**
 * The port between tidings' SQL and a database access library: a unit of work (run `work` in one
 * transaction, commit when it resolves, roll back when it throws, resolve only after the commit) that
 * can also run a statement **in the transaction it handed out**. The Flusher uses `transaction`; the
 * outbox, the inbox and the dead-letter archive use `query` to write in the caller's transaction, and
 * `transaction` + `query` for their own work (a relay's claim, a replay).
 *
 * An adapter is a page of code: `PgUnitOfWork` (a `pg` pool), `MysqlUnitOfWork` (a `mysql2` pool), and
 * one per ORM in its own entry point (`tidings/prisma`, `tidings/typeorm`, `tidings/knex`…). See
 * docs/sql.md for writing your own.
 *
 * Contract, checked by the shared suite `test/contract/sql/` for every adapter:
 * - `sql` uses the dialect's own placeholders: `$1…$n` for `'postgres'`, `?` for `'mysql'`; an adapter
 *   whose driver wants another style rewrites them (`toQuestionMarks`), never the caller;
 * - parameters are bound, never spliced: strings, numbers, `bigint`, booleans, `null`, `Date`s and
 *   `Buffer`s (binary columns) at least;
 * - `rows` hold plain objects keyed by column name; binary columns come back as `Buffer` or
 *   `Uint8Array`, JSON columns as text or parsed values, times as `Date` or text, counts as `number`,
 *   `bigint` or text — tidings normalises each, so an adapter passes what its driver gives;
 * - a `transaction` called inside another one's `work` runs as a savepoint (or joins it): when it
 *   throws, its own writes are undone and the outer transaction may go on.
 */
export interface SqlUnitOfWork<Tx = unknown> extends UnitOfWork<Tx> {
  readonly dialect: SqlDialect;
  /** Runs one statement in `tx`, a transaction this unit of work handed to a `work` still running. */
  query<Row = Record<string, unknown>>(
    tx: Tx,
    sql: string,
    params?: readonly unknown[],
  ): Promise<SqlResult<Row>>;
}
