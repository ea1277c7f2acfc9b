import type { EntityManager } from '@mikro-orm/core';
import type { SqlDialect, SqlResult, SqlUnitOfWork } from '../../deferred/sql-unit-of-work.js';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { TransactionStateError } from '../../errors/transaction-state-error.js';
import { assertKnownOptions, describeValue, optionKeys } from '../../internal/options.js';
import { toQuestionMarks } from '../../internal/placeholders.js';
import { TransactionScope } from '../../internal/transaction-scope.js';

export interface MikroOrmUnitOfWorkOptions {
  /**
   * The database's dialect, for a MikroORM driver that is not recognised.
   * @defaultValue read from the driver's connection: `'postgres'` for `@mikro-orm/postgresql`,
   * `'mysql'` for `@mikro-orm/mysql` and `@mikro-orm/mariadb`
   */
  dialect?: SqlDialect;
}

/** Checked by the compiler against MikroOrmUnitOfWorkOptions: a key added there must be added here. */
const MIKRO_ORM_UNIT_OF_WORK_OPTION_KEYS = optionKeys<MikroOrmUnitOfWorkOptions>({ dialect: true });

/** URL schemes of the drivers' default client URLs (`Connection.getDefaultClientUrl()`). */
const DIALECTS: Readonly<Record<string, SqlDialect>> = {
  'postgresql:': 'postgres',
  'postgres:': 'postgres',
  'mysql:': 'mysql',
  'mariadb:': 'mysql',
};

/**
 * The unit of work over a MikroORM 6 `EntityManager` (`orm.em`): `transactional(work)` style —
 * `transaction(work)` runs `work` in `em.transactional()` and hands it the transaction's fork (persist
 * and query through it; it is flushed before the commit); a `transaction()` called inside `work` nests
 * as a savepoint (`em.transactional()` of that fork), so when it throws, only its own writes are
 * undone. `transaction()` resolves after `COMMIT`.
 *
 * `query` runs the statement through the connection in the fork's transaction context. MikroORM 6
 * binds only `?` (through Knex): PostgreSQL's `$n` are rewritten.
 *
 * @example
 * import { MikroOrmUnitOfWork } from 'tidings/mikro-orm';
 *
 * const flusher = new Flusher({ dispatcher, unitOfWork: new MikroOrmUnitOfWork(orm.em) });
 * await flusher.transaction(async (em) => {
 *   em.persist(order);
 *   return [order];
 * });
 */
export class MikroOrmUnitOfWork<EM extends EntityManager = EntityManager> implements SqlUnitOfWork<EM> {
  readonly dialect: SqlDialect;
  readonly #em: EM;
  readonly #scope = new TransactionScope<EM>();

  constructor(em: EM, options: MikroOrmUnitOfWorkOptions = {}) {
    const candidate = em as Partial<EntityManager> | undefined;
    if (typeof candidate?.transactional !== 'function' || typeof candidate.getConnection !== 'function') {
      throw new InvalidArgumentError(
        `MikroOrmUnitOfWork: expected a MikroORM EntityManager (orm.em), got ${describeValue(em)}`,
      );
    }
    assertKnownOptions(options, MIKRO_ORM_UNIT_OF_WORK_OPTION_KEYS, 'MikroOrmUnitOfWork');
    const detected = detectDialect(em);
    const dialect = options.dialect ?? detected;
    if (dialect !== 'postgres' && dialect !== 'mysql') {
      throw new InvalidArgumentError(
        `MikroOrmUnitOfWork: the dialect option must be 'postgres' or 'mysql', got ${describeValue(dialect)}` +
          (detected === undefined ? ' (the MikroORM driver is not one tidings knows)' : ''),
      );
    }
    this.#em = em;
    this.dialect = dialect;
  }

  /** Whether the caller runs inside a transaction of this unit of work (any depth). */
  get inTransaction(): boolean {
    return this.#scope.inTransaction;
  }

  transaction<T>(work: (em: EM) => Promise<T>): Promise<T> {
    return this.#scope.transaction(
      work,
      (run) => this.#em.transactional(run),
      (parent, run) => parent.tx.transactional(run),
    );
  }

  async query<Row = Record<string, unknown>>(
    em: EM,
    sql: string,
    params: readonly unknown[] = [],
  ): Promise<SqlResult<Row>> {
    const context: unknown = em.getTransactionContext();
    if (context === undefined) {
      throw new TransactionStateError(
        'query: the EntityManager is in no transaction; pass the one transaction() handed to the work',
      );
    }
    const statement =
      this.dialect === 'postgres' ? toQuestionMarks(sql, params) : { sql, params: [...params] };
    // 'run' gives { affectedRows, rows } for a DML statement, and the rows alone for MySQL's SELECT.
    const result: unknown = await em.getConnection().execute(statement.sql, statement.params, 'run', context);
    if (Array.isArray(result)) return { rows: result as Row[], rowCount: result.length };
    const { rows, affectedRows } = result as { rows?: Row[]; affectedRows?: number };
    const list = Array.isArray(rows) ? rows : [];
    return { rows: list, rowCount: typeof affectedRows === 'number' ? affectedRows : list.length };
  }
}

function detectDialect(em: EntityManager): SqlDialect | undefined {
  try {
    return DIALECTS[new URL(em.getConnection().getDefaultClientUrl()).protocol];
  } catch {
    return undefined; // a driver without a client URL (SQLite's is empty)
  }
}
