// The public API of tidings/typeorm: the unit of work over TypeORM (an optional peer dependency). Only
// this entry point's declarations import 'typeorm'.

/**
 * The unit of work over a TypeORM `DataSource` (`typeorm`, an optional peer dependency), on PostgreSQL
 * or MySQL/MariaDB: tidings runs its SQL in your TypeORM transaction.
 *
 * @module tidings/typeorm
 */

export { TypeOrmUnitOfWork } from './adapters/typeorm/typeorm-unit-of-work.js';
export type { TypeOrmUnitOfWorkOptions } from './adapters/typeorm/typeorm-unit-of-work.js';
