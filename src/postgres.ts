// The public API of tidings/postgres: the parts of tidings that use PostgreSQL through `pg` (an optional
// peer dependency). Only this entry point's declarations import 'pg', so a project that does not use
// PostgreSQL compiles against `tidings` without `pg` or `@types/pg` installed.

/**
 * The parts of tidings that use PostgreSQL through `pg` (an optional peer dependency): the unit of
 * work, the outbox, the inbox and the dead-letter archive.
 *
 * @module tidings/postgres
 */

// Unit of work
export { PgUnitOfWork } from './adapters/postgres/pg-unit-of-work.js';
export type { PgIsolationLevel, PgUnitOfWorkOptions } from './adapters/postgres/pg-unit-of-work.js';

// Outbox
export { PgOutbox } from './adapters/postgres/pg-outbox.js';
export type { PgOutboxOptions } from './adapters/postgres/pg-outbox.js';
export { pgOutboxSchemaSql } from './adapters/postgres/pg-outbox-sql.js';
export type { PgOutboxNameOptions } from './adapters/postgres/pg-outbox-sql.js';

// Inbox (idempotent consumers)
export { PgInbox } from './adapters/postgres/pg-inbox.js';
export type { PgInboxOptions } from './adapters/postgres/pg-inbox.js';
export { pgInboxSchemaSql } from './adapters/postgres/pg-inbox-sql.js';
export type { PgInboxNameOptions, PgInboxNames } from './adapters/postgres/pg-inbox-sql.js';

// Dead-letter archive
export { PgDeadLetterArchive } from './adapters/postgres/pg-dead-letter-archive.js';
export type { PgDeadLetterArchiveOptions } from './adapters/postgres/pg-dead-letter-archive-options.js';
export type {
  ArchivedFilter,
  ArchivedListFilter,
  ArchiveOptions,
  ArchivePurgeOptions,
  ArchiveReplayOptions,
  ArchiveReplaySummary,
  ArchiveSummary,
} from './messaging/dead-letters/dead-letter-archive-options.js';
export type { ArchivedDeadLetter, ArchivedStatus } from './messaging/dead-letters/archived-dead-letter.js';
export { pgDeadLetterArchiveSchemaSql } from './adapters/postgres/pg-dead-letter-archive-sql.js';
export type {
  PgDeadLetterArchiveNameOptions,
  PgDeadLetterArchiveNames,
} from './adapters/postgres/pg-dead-letter-archive-sql.js';
