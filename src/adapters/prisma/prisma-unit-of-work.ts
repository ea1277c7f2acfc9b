import type { SqlDialect, SqlResult, SqlUnitOfWork } from '../../deferred/sql-unit-of-work.js';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { assertKnownOptions, describeValue, optionKeys } from '../../internal/options.js';
import { TransactionScope } from '../../internal/transaction-scope.js';

/** The options of an interactive `$transaction` (Prisma's defaults: 2 s to start, 5 s to run). */
export interface PrismaTransactionOptions {
  maxWait?: number;
  timeout?: number;
  isolationLevel?: string;
}

/** What the adapter needs of a Prisma client or of its transaction client (`Prisma.TransactionClient`). */
export interface PrismaTransactionClient<Tx> {
  $transaction<R>(work: (tx: Tx) => Promise<R>, options?: PrismaTransactionOptions): PromiseLike<R>;
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): PromiseLike<T>;
  $executeRawUnsafe(query: string, ...values: unknown[]): PromiseLike<number>;
}

export interface PrismaUnitOfWorkOptions {
  /**
   * The database's dialect, for a Prisma client whose provider is not recognised.
   * @defaultValue the client's provider: `'postgres'` for `postgresql`, `'mysql'` for `mysql`
   */
  dialect?: SqlDialect;
  /**
   * Passed to each outermost `prisma.$transaction()`: how long to wait for a connection and how long
   * the whole transaction may run, the isolation level.
   * @defaultValue Prisma's (`maxWait` 2000 ms, `timeout` 5000 ms)
   */
  transactionOptions?: PrismaTransactionOptions;
}

/** Checked by the compiler against PrismaUnitOfWorkOptions: a key added there must be added here. */
const PRISMA_UNIT_OF_WORK_OPTION_KEYS = optionKeys<PrismaUnitOfWorkOptions>({
  dialect: true,
  transactionOptions: true,
});

/** Prisma providers (the datasource's `provider`) tidings knows the SQL of. */
const DIALECTS: Readonly<Record<string, SqlDialect>> = { postgresql: 'postgres', mysql: 'mysql' };

/**
 * The unit of work over a Prisma 7 client you create and manage (with a driver adapter such as
 * `@prisma/adapter-pg` or `@prisma/adapter-mariadb`): `transaction(work)` runs `work` in an interactive
 * `prisma.$transaction(async (tx) => …)` and hands it `tx` (use it for your own queries); a
 * `transaction()` called inside `work` nests as a savepoint (`tx.$transaction()`), so when it throws,
 * only its own writes are undone. `transaction()` resolves after `COMMIT`.
 *
 * `query` takes the dialect's own placeholders (`$1`, `?`). Prisma runs a statement either for its rows
 * (`$queryRawUnsafe`) or for the rows it touched (`$executeRawUnsafe`): a `SELECT`, `SHOW`, `VALUES`,
 * a `WITH` without `INSERT`/`UPDATE`/`DELETE`, and any statement with `RETURNING` go the first way and
 * count the rows returned; the others the second, with no rows.
 *
 * @example
 * import { PrismaPg } from '@prisma/adapter-pg';
 * import { PrismaUnitOfWork } from 'tidings/prisma';
 * import { PrismaClient } from './generated/prisma/client.js';
 *
 * const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: process.env.DATABASE_URL }) });
 * const flusher = new Flusher({ dispatcher, unitOfWork: new PrismaUnitOfWork(prisma) });
 * await flusher.transaction(async (tx) => {
 *   await tx.order.create({ data: { id: order.id, total: order.total } });
 *   return [order];
 * });
 */
export class PrismaUnitOfWork<Tx extends PrismaTransactionClient<Tx>> implements SqlUnitOfWork<Tx> {
  readonly dialect: SqlDialect;
  readonly #prisma: Pick<PrismaTransactionClient<Tx>, '$transaction'>;
  readonly #options: PrismaTransactionOptions | undefined;
  readonly #scope = new TransactionScope<Tx>();

  constructor(
    prisma: Pick<PrismaTransactionClient<Tx>, '$transaction'>,
    options: PrismaUnitOfWorkOptions = {},
  ) {
    if (typeof (prisma as Partial<PrismaTransactionClient<Tx>> | undefined)?.$transaction !== 'function') {
      throw new InvalidArgumentError(
        `PrismaUnitOfWork: expected a PrismaClient, got ${describeValue(prisma)}`,
      );
    }
    assertKnownOptions(options, PRISMA_UNIT_OF_WORK_OPTION_KEYS, 'PrismaUnitOfWork');
    // Not public API, but what every generated client carries; the dialect option is the way around it.
    const provider = (prisma as { _activeProvider?: unknown })._activeProvider;
    const detected = DIALECTS[String(provider)];
    const dialect = options.dialect ?? detected;
    if (dialect !== 'postgres' && dialect !== 'mysql') {
      throw new InvalidArgumentError(
        `PrismaUnitOfWork: the dialect option must be 'postgres' or 'mysql', got ${describeValue(dialect)}` +
          (detected === undefined
            ? ` (the client's provider ${describeValue(provider)} is not one tidings knows)`
            : ''),
      );
    }
    const { transactionOptions } = options;
    if (
      transactionOptions !== undefined &&
      (typeof transactionOptions !== 'object' || transactionOptions === null)
    ) {
      throw new InvalidArgumentError(
        `PrismaUnitOfWork: the transactionOptions option must be an object, got ${describeValue(transactionOptions)}`,
      );
    }
    this.#prisma = prisma;
    this.#options = transactionOptions;
    this.dialect = dialect;
  }

  /** Whether the caller runs inside a transaction of this unit of work (any depth). */
  get inTransaction(): boolean {
    return this.#scope.inTransaction;
  }

  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.#scope.transaction(
      work,
      async (run) => this.#prisma.$transaction(run, this.#options),
      async (parent, run) => parent.tx.$transaction(run),
    );
  }

  async query<Row = Record<string, unknown>>(
    tx: Tx,
    sql: string,
    params: readonly unknown[] = [],
  ): Promise<SqlResult<Row>> {
    if (returnsRows(sql)) {
      const rows = await tx.$queryRawUnsafe<Row[]>(sql, ...params);
      return { rows, rowCount: rows.length };
    }
    return { rows: [], rowCount: await tx.$executeRawUnsafe(sql, ...params) };
  }
}

/** Whether a statement is run for its rows (see the class comment). */
function returnsRows(sql: string): boolean {
  if (/\breturning\b/i.test(sql)) return true;
  const keyword = /^[\s(]*([a-z]+)/i.exec(sql)?.[1]?.toLowerCase();
  if (keyword === 'with') return !/\b(insert|update|delete|merge)\b/i.test(sql);
  return keyword === 'select' || keyword === 'show' || keyword === 'values' || keyword === 'table';
}
