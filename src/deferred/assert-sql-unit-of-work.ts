import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { describeValue } from '../internal/options.js';
import type { SqlDialect, SqlUnitOfWork } from './sql-unit-of-work.js';

const DATABASE: Readonly<Record<SqlDialect, string>> = { postgres: 'PostgreSQL', mysql: 'MySQL' };

/**
 * Checks the `unitOfWork` option of a SQL adapter (an outbox, an inbox): a `SqlUnitOfWork` whose dialect
 * is the adapter's, or an `InvalidArgumentError` naming what it is instead.
 */
export function assertSqlUnitOfWork(unitOfWork: unknown, dialect: SqlDialect, where: string): void {
  const candidate = unitOfWork as Partial<SqlUnitOfWork> | undefined;
  if (typeof candidate?.transaction !== 'function' || typeof candidate.query !== 'function') {
    throw new InvalidArgumentError(
      `${where}: "unitOfWork" must be a SqlUnitOfWork (transaction and query), got ${describeValue(unitOfWork)}`,
    );
  }
  if (candidate.dialect !== dialect) {
    throw new InvalidArgumentError(
      `${where}: "unitOfWork" must speak ${DATABASE[dialect]} (dialect '${dialect}'), got dialect ${describeValue(candidate.dialect)}`,
    );
  }
}
