// The public API of tidings/mikro-orm: the unit of work over MikroORM 6 (@mikro-orm/core, an optional
// peer dependency). Only this entry point's declarations import '@mikro-orm/core'.

/**
 * The unit of work over a MikroORM 6 `EntityManager` (`@mikro-orm/core`, an optional peer dependency),
 * on PostgreSQL or MySQL/MariaDB: tidings runs its SQL in your `em.transactional()`.
 *
 * @module tidings/mikro-orm
 */

export { MikroOrmUnitOfWork } from './adapters/mikro-orm/mikro-orm-unit-of-work.js';
export type { MikroOrmUnitOfWorkOptions } from './adapters/mikro-orm/mikro-orm-unit-of-work.js';
