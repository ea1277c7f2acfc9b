// The public API of tidings/mysql: the parts of tidings that use MySQL or MariaDB through `mysql2` (an
// optional peer dependency). Only this entry point's declarations import 'mysql2'.

/**
 * The parts of tidings that use MySQL 8 or MariaDB 10.6+ through `mysql2` (an optional peer
 * dependency): the unit of work, the outbox, the inbox and the dead-letter archive.
 *
 * @module tidings/mysql
 */

// Unit of work
export { MysqlUnitOfWork } from './adapters/mysql/mysql-unit-of-work.js';
export type { MysqlIsolationLevel, MysqlUnitOfWorkOptions } from './adapters/mysql/mysql-unit-of-work.js';

// Outbox
export { MysqlOutbox } from './adapters/mysql/mysql-outbox.js';
export type { MysqlOutboxOptions } from './adapters/mysql/mysql-outbox.js';
export { mysqlOutboxSchemaSql } from './adapters/mysql/mysql-outbox-sql.js';
export type { MysqlOutboxNameOptions, MysqlOutboxNames } from './adapters/mysql/mysql-outbox-sql.js';

// Inbox (idempotent consumers)
export { MysqlInbox, mysqlInboxSchemaSql } from './adapters/mysql/mysql-inbox.js';
export type { MysqlInboxNameOptions, MysqlInboxOptions } from './adapters/mysql/mysql-inbox.js';

// Dead-letter archive
export { MysqlDeadLetterArchive } from './adapters/mysql/mysql-dead-letter-archive.js';
export type { MysqlDeadLetterArchiveOptions } from './adapters/mysql/mysql-dead-letter-archive.js';
export { mysqlDeadLetterArchiveSchemaSql } from './adapters/mysql/mysql-dead-letter-archive-sql.js';
export type {
  MysqlDeadLetterArchiveNameOptions,
  MysqlDeadLetterArchiveNames,
} from './adapters/mysql/mysql-dead-letter-archive-sql.js';
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
