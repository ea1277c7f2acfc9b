// The public API of tidings/kysely: the unit of work over Kysely (an optional peer dependency). Only
// this entry point loads 'kysely'.

/**
 * The unit of work over a Kysely instance (`kysely`, an optional peer dependency), on PostgreSQL or
 * MySQL/MariaDB: tidings runs its SQL in your Kysely transaction.
 *
 * @module tidings/kysely
 */

export { KyselyUnitOfWork } from './adapters/kysely/kysely-unit-of-work.js';
export type { KyselyUnitOfWorkOptions } from './adapters/kysely/kysely-unit-of-work.js';
