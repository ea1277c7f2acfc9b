// The public API of tidings/typeorm: the unit of work and the entity subscriber over TypeORM (an optional
// peer dependency). Only this entry point's declarations import 'typeorm'.

/**
 * The unit of work over a TypeORM `DataSource` (`typeorm`, an optional peer dependency), on PostgreSQL
 * or MySQL/MariaDB: tidings runs its SQL in your TypeORM transaction; and the entity subscriber that
 * writes the events recorded on the entities a transaction saves to the outbox before its commit and
 * dispatches them after it.
 *
 * @module tidings/typeorm
 */

export { TypeOrmUnitOfWork } from './adapters/typeorm/typeorm-unit-of-work.js';
export type { TypeOrmUnitOfWorkOptions } from './adapters/typeorm/typeorm-unit-of-work.js';
export { RecordedEventsSubscriber } from './adapters/typeorm/recorded-events-subscriber.js';
export type { RecordedEventsSubscriberOptions } from './adapters/typeorm/recorded-events-subscriber.js';
