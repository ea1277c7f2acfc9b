// The public API of tidings/drizzle: the unit of work over Drizzle ORM (an optional peer dependency).
// Only this entry point loads 'drizzle-orm'.

/**
 * The unit of work over a Drizzle database (`drizzle-orm`, an optional peer dependency), on PostgreSQL
 * (`node-postgres`) or MySQL/MariaDB (`mysql2`): tidings runs its SQL in your Drizzle transaction.
 *
 * @module tidings/drizzle
 */

export { DrizzleUnitOfWork } from './adapters/drizzle/drizzle-unit-of-work.js';
export type {
  DrizzleDatabase,
  DrizzleTransaction,
  DrizzleUnitOfWorkOptions,
} from './adapters/drizzle/drizzle-unit-of-work.js';
