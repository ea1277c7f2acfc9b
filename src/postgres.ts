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
export { PgUnitOfWork } from './outbox/postgres/pg-unit-of-work.js';
export type { PgIsolationLevel, PgUnitOfWorkOptions } from './outbox/postgres/pg-unit-of-work.js';

// Outbox
export { PgOutbox } from './outbox/postgres/pg-outbox.js';
export type { PgOutboxOptions } from './outbox/postgres/pg-outbox.js';
export { pgOutboxSchemaSql } from './outbox/postgres/pg-outbox-sql.js';
export type { PgOutboxNameOptions } from './outbox/postgres/pg-outbox-sql.js';

// Inbox (idempotent consumers)
export { PgInbox } from './inbox/pg-inbox.js';
export type { PgInboxOptions } from './inbox/pg-inbox.js';

// Dead-letter archive
export { PgDeadLetterArchive } from './bridge/dead-letter/pg-dead-letter-archive.js';
export type {
  ArchivedFilter,
  ArchivedListFilter,
  ArchiveOptions,
  ArchiveReplayOptions,
  ArchiveReplaySummary,
  ArchiveSummary,
  PgDeadLetterArchiveOptions,
} from './bridge/dead-letter/pg-dead-letter-archive.js';
export type { ArchivedDeadLetter, ArchivedStatus } from './bridge/dead-letter/archived-dead-letter.js';
export { pgDeadLetterArchiveSchemaSql } from './bridge/dead-letter/pg-dead-letter-archive-sql.js';
export type {
  PgDeadLetterArchiveNameOptions,
  PgDeadLetterArchiveNames,
} from './bridge/dead-letter/pg-dead-letter-archive-sql.js';
