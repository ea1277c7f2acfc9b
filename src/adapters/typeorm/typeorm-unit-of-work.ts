import type { DataSource, EntityManager } from 'typeorm';
import type { SqlDialect, SqlResult, SqlUnitOfWork } from '../../deferred/sql-unit-of-work.js';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { TransactionStateError } from '../../errors/transaction-state-error.js';
import { assertKnownOptions, describeValue, optionKeys } from '../../internal/options.js';
import { TransactionScope } from '../../internal/transaction-scope.js';

export interface TypeOrmUnitOfWorkOptions {
  /**
   * The database's dialect, for a TypeORM driver type that is not recognised.
   * @defaultValue read from the data source's `type`: `'postgres'` for `postgres`, `'mysql'` for
   * `mysql`, `mariadb` and `aurora-mysql`
   */
  dialect?: SqlDialect;
}

/** Checked by the compiler against TypeOrmUnitOfWorkOptions: a key added there must be added here. */
const TYPE_ORM_UNIT_OF_WORK_OPTION_KEYS = optionKeys<TypeOrmUnitOfWorkOptions>({ dialect: true });

/** TypeORM driver types (`DataSourceOptions.type`) tidings knows the SQL of. */
const DIALECTS: Readonly<Record<string, SqlDialect>> = {
  postgres: 'postgres',
  mysql: 'mysql',
  mariadb: 'mysql',
  'aurora-mysql': 'mysql',
};

/**
 * The unit of work over a TypeORM `DataSource` (or its `EntityManager`) you create and manage:
 * `transaction(work)` runs `work` in `dataSource.transaction()` and hands it the transaction's
 * `EntityManager` (use it for your own queries and saves); a `transaction()` called inside `work`
 * nests as a savepoint (`manager.transaction()`), so when it throws, only its own writes are undone.
 * `transaction()` resolves after `COMMIT`.
 *
 * `query` runs the statement on the manager's query runner with the dialect's own placeholders
 * (`$1`, `?`), asking TypeORM for a structured result to count the rows touched.
 *
 * @example
 * import { TypeOrmUnitOfWork } from 'tidings/typeorm';
 *
 * const flusher = new Flusher({ dispatcher, unitOfWork: new TypeOrmUnitOfWork(dataSource) });
 * await flusher.transaction(async (manager) => {
 *   await manager.save(order);
 *   return [order];
 * });
 */
export class TypeOrmUnitOfWork implements SqlUnitOfWork<EntityManager> {
  readonly dialect: SqlDialect;
  readonly #source: DataSource | EntityManager;
  readonly #scope = new TransactionScope<EntityManager>();

  constructor(source: DataSource | EntityManager, options: TypeOrmUnitOfWorkOptions = {}) {
    if (typeof (source as Partial<DataSource> | undefined)?.transaction !== 'function') {
      throw new InvalidArgumentError(
        `TypeOrmUnitOfWork: expected a TypeORM DataSource or EntityManager, got ${describeValue(source)}`,
      );
    }
    assertKnownOptions(options, TYPE_ORM_UNIT_OF_WORK_OPTION_KEYS, 'TypeOrmUnitOfWork');
    const type = driverType(source);
    const detected = DIALECTS[String(type)];
    const dialect = options.dialect ?? detected;
    if (dialect !== 'postgres' && dialect !== 'mysql') {
      throw new InvalidArgumentError(
        `TypeOrmUnitOfWork: the dialect option must be 'postgres' or 'mysql', got ${describeValue(dialect)}` +
          (detected === undefined ? ` (TypeORM's type ${describeValue(type)} is not one tidings knows)` : ''),
      );
    }
    this.#source = source;
    this.dialect = dialect;
  }

  /** Whether the caller runs inside a transaction of this unit of work (any depth). */
  get inTransaction(): boolean {
    return this.#scope.inTransaction;
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.#scope.transaction(
      work,
      (run) => this.#source.transaction(run),
      (parent, run) => parent.tx.transaction(run),
    );
  }

  async query<Row = Record<string, unknown>>(
    manager: EntityManager,
    sql: string,
    params: readonly unknown[] = [],
  ): Promise<SqlResult<Row>> {
    const runner = manager.queryRunner;
    if (runner === undefined) {
      throw new TransactionStateError(
        'query: the EntityManager has no query runner, so it is not the one of a transaction; pass the ' +
          'manager transaction() handed to the work',
      );
    }
    const { records, affected } = await runner.query(sql, [...params], true);
    const rows = Array.isArray(records) ? (records as Row[]) : [];
    return { rows, rowCount: typeof affected === 'number' ? affected : rows.length };
  }
}

/** `DataSourceOptions.type` of a data source, or of an entity manager's. */
function driverType(source: DataSource | EntityManager): unknown {
  const options = (source as Partial<DataSource>).options;
  if (options !== undefined) return options.type;
  const manager = source as Partial<EntityManager> & { connection?: DataSource };
  return (manager.dataSource ?? manager.connection)?.options?.type;
}
