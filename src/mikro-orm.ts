// The public API of tidings/mikro-orm: the unit of work over MikroORM 6 (@mikro-orm/core, an optional
// peer dependency) and the subscriber that makes em.flush() the Flusher. Only this entry point imports
// '@mikro-orm/core' (FlushEventsSubscriber at run time, for TransactionContext).

/**
 * The unit of work over a MikroORM 6 `EntityManager` (`@mikro-orm/core`, an optional peer dependency),
 * on PostgreSQL or MySQL/MariaDB: tidings runs its SQL in your `em.transactional()`, and
 * `FlushEventsSubscriber` writes and dispatches the events of the entities each `em.flush()` saves.
 *
 * @module tidings/mikro-orm
 */

export { MikroOrmUnitOfWork } from './adapters/mikro-orm/mikro-orm-unit-of-work.js';
export type { MikroOrmUnitOfWorkOptions } from './adapters/mikro-orm/mikro-orm-unit-of-work.js';
export { FlushEventsSubscriber } from './adapters/mikro-orm/flush-events-subscriber.js';
export type { FlushEventsSubscriberOptions } from './adapters/mikro-orm/flush-events-subscriber.js';
