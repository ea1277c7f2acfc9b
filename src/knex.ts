// The public API of tidings/knex: the unit of work over Knex (an optional peer dependency). Only this
// entry point's declarations import 'knex'.

/**
 * The unit of work over a Knex instance (`knex`, an optional peer dependency), on PostgreSQL or
 * MySQL/MariaDB: tidings runs its SQL in your Knex transaction.
 *
 * @module tidings/knex
 */

export { KnexUnitOfWork } from './adapters/knex/knex-unit-of-work.js';
export type { KnexUnitOfWorkOptions } from './adapters/knex/knex-unit-of-work.js';
