import { assertKnownOptions, optionKeys } from '../../internal/options.js';
import { ARCHIVE_COLUMNS } from '../../messaging/dead-letters/archive-row.js';
import type { ArchiveSelection } from '../../messaging/dead-letters/archive-selection.js';
import { MAX_IDENTIFIER_LENGTH, mysqlIdentifier, quoteIdentifier } from './mysql-identifier.js';

/** Where the dead-letter archive lives. */
export interface MysqlDeadLetterArchiveNameOptions {
  /**
   * The archive table, in the connection's database. The server names its CHECK constraints after it
   * (`<table>_chk_1`, …), which is why it may be at most 58 characters long.
   * @defaultValue 'tidings_dead_letters'
   */
  table?: string;
}

/**
 * The names, validated and quoted; no other code pastes a user-supplied name into SQL.
 *
 * @inline
 */
export interface MysqlDeadLetterArchiveNames {
  readonly table: string;
  /** `` `table` ``. */
  readonly quotedTable: string;
}

export const DEFAULT_ARCHIVE_TABLE = 'tidings_dead_letters';
/** Room for the server's `_chk_<n>` constraint names. */
const LONGEST_SUFFIX = '_chk_1'.length;
const NAME_OPTION_KEYS = optionKeys<MysqlDeadLetterArchiveNameOptions>({ table: true });

/** Validates the name and quotes it. Throws an `InvalidArgumentError` naming the option. */
export function mysqlDeadLetterArchiveNames(
  options: MysqlDeadLetterArchiveNameOptions = {},
  where = 'MysqlDeadLetterArchive',
): MysqlDeadLetterArchiveNames {
  const table = mysqlIdentifier(
    options.table,
    DEFAULT_ARCHIVE_TABLE,
    `${where}: table`,
    MAX_IDENTIFIER_LENGTH - LONGEST_SUFFIX,
  );
  return { table, quotedTable: quoteIdentifier(table) };
}

/**
 * The DDL of the archive, one idempotent statement (`IF NOT EXISTS`): for a migration tool or the
 * `mysql` client; `MysqlDeadLetterArchive.ensureSchema()` runs the same. MySQL 8 or MariaDB 10.6 and
 * later (both have `SKIP LOCKED`).
 *
 * @example
 * await connection.query(mysqlDeadLetterArchiveSchemaSql({ table: 'dead_letters' }));
 */
export function mysqlDeadLetterArchiveSchemaSql(options: MysqlDeadLetterArchiveNameOptions = {}): string {
  assertKnownOptions(options, NAME_OPTION_KEYS, 'mysqlDeadLetterArchiveSchemaSql');
  return `${createTable(mysqlDeadLetterArchiveNames(options, 'mysqlDeadLetterArchiveSchemaSql'))};\n`;
}

/**
 * One row per dead letter, as on PostgreSQL. The body is the very bytes (LONGBLOB); `headers` the typed
 * header table and `properties` the other properties in the archive's lossless JSON, kept as plain text
 * as MysqlOutbox keeps its own: MySQL's JSON type reorders keys, and MariaDB reports a text column with
 * a `JSON_VALID` check as JSON, which drivers parse (moving integer-like keys first). `JSON_VALUE(headers,
 * '$."x-tidings-dead-reason"')` reads it all the same. Times are UTC (`DATETIME(3)`), whatever the
 * session's `time_zone`. AMQP short strings (queues, exchange, routing key, ids) fit VARCHAR(255).
 * The unique key on (app_id, fingerprint) is what makes archiving safe to repeat: a dead letter whose row
 * committed but whose ack was lost comes back from the queue and meets its own row.
 */
function createTable(names: MysqlDeadLetterArchiveNames): string {
  return `CREATE TABLE IF NOT EXISTS ${names.quotedTable} (
  id BIGINT NOT NULL AUTO_INCREMENT,
  app_id VARCHAR(255) NOT NULL,
  dead_letter_queue VARCHAR(255) NOT NULL,
  fingerprint CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  message_id VARCHAR(255) NOT NULL,
  source_queue VARCHAR(255) NULL,
  exchange VARCHAR(255) NOT NULL,
  routing_key VARCHAR(255) NOT NULL,
  reason TEXT NOT NULL,
  attempts INT NULL,
  error_name TEXT NULL,
  error_message MEDIUMTEXT NULL,
  error_stack MEDIUMTEXT NULL,
  consumer_app TEXT NULL,
  first_failure_at DATETIME(3) NULL,
  dead_lettered_at DATETIME(3) NULL,
  headers LONGTEXT NOT NULL,
  properties LONGTEXT NOT NULL,
  content_type VARCHAR(255) NULL,
  body LONGBLOB NOT NULL,
  status VARCHAR(9) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'replayed', 'discarded')),
  archived_at DATETIME(3) NOT NULL,
  replayed_at DATETIME(3) NULL,
  discarded_at DATETIME(3) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY fingerprint_key (app_id, fingerprint),
  KEY status_idx (app_id, status, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin`;
}

/** A statement and its parameters. */
export interface Statement {
  readonly sql: string;
  readonly params: unknown[];
}

/** Times as milliseconds since the epoch, computed by the server: no driver time-zone conversion. */
function epochMs(column: string): string {
  return `TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', ${column}) DIV 1000 AS ${column}`;
}

const SELECTED_COLUMNS = `CAST(id AS CHAR) AS id, app_id, dead_letter_queue, message_id, source_queue, exchange,
  routing_key, reason, attempts, error_name, error_message, error_stack, consumer_app,
  ${epochMs('first_failure_at')}, ${epochMs('dead_lettered_at')}, headers, properties, content_type, body,
  status, ${epochMs('archived_at')}, ${epochMs('replayed_at')}, ${epochMs('discarded_at')}`;

/** `count` placeholders for ids, each cast so that no comparison goes through a double. */
function idMarks(count: number): string {
  return Array.from({ length: count }, () => 'CAST(? AS SIGNED)').join(', ');
}

/**
 * The WHERE clause of a selection, only the criteria it has (MySQL has no array parameters); the limit
 * is a validated integer, written into the statement.
 */
function where(selection: ArchiveSelection): Statement & { limit: string } {
  const parts = ['app_id = ?'];
  const params: unknown[] = [selection.appId];
  if (selection.ids !== null) {
    parts.push(selection.ids.length === 0 ? 'FALSE' : `id IN (${idMarks(selection.ids.length)})`);
    params.push(...selection.ids);
  }
  for (const [column, value] of [
    ['source_queue', selection.queue],
    ['reason', selection.reason],
    ['status', selection.status],
  ] as const) {
    if (value === null) continue;
    parts.push(`${column} = ?`);
    params.push(value);
  }
  parts.push('id > CAST(? AS SIGNED)');
  params.push(selection.afterId);
  return {
    sql: parts.join(' AND '),
    params,
    limit: selection.limit === null ? '' : `\nLIMIT ${String(selection.limit)}`,
  };
}

/** Every statement `MysqlDeadLetterArchive` runs, built from the validated names. */
export function mysqlDeadLetterArchiveStatements(names: MysqlDeadLetterArchiveNames) {
  const t = names.quotedTable;
  const now = 'UTC_TIMESTAMP(3)';
  return {
    schema: createTable(names),

    /** The columns of `ARCHIVE_COLUMNS`, then `archived_at`. */
    insert: `INSERT INTO ${t} (${ARCHIVE_COLUMNS.join(', ')}, archived_at)
VALUES (${ARCHIVE_COLUMNS.map(() => '?').join(', ')}, ${now})`,
    /** $app id, $fingerprint: the row the unique key found. */
    idOf: `SELECT CAST(id AS CHAR) AS id FROM ${t} WHERE app_id = ? AND fingerprint = ?`,

    select: (selection: ArchiveSelection, forUpdate = false): Statement => {
      const clause = where(selection);
      return {
        sql: `SELECT ${SELECTED_COLUMNS} FROM ${t}
WHERE ${clause.sql}
ORDER BY id${clause.limit}${forUpdate ? '\nFOR UPDATE SKIP LOCKED' : ''}`,
        params: clause.params,
      };
    },
    /** The ids of a selection, locked, skipping those another replay or discard holds. */
    lockIds: (selection: ArchiveSelection): Statement => {
      const clause = where(selection);
      return {
        sql: `SELECT CAST(id AS CHAR) AS id FROM ${t}
WHERE ${clause.sql}
ORDER BY id${clause.limit}
FOR UPDATE SKIP LOCKED`,
        params: clause.params,
      };
    },
    count: (selection: ArchiveSelection): Statement => {
      const clause = where(selection);
      return { sql: `SELECT COUNT(*) AS count FROM ${t} WHERE ${clause.sql}`, params: clause.params };
    },

    /** $app id, then the ids. */
    mark: (status: 'replayed' | 'discarded', rows: number) =>
      `UPDATE ${t} SET status = '${status}', ${status}_at = ${now}
WHERE app_id = ? AND status = 'pending' AND id IN (${idMarks(rows)})`,

    /** $app id, $archived before (UTC text). */
    purge: (includePending: boolean) =>
      `DELETE FROM ${t} WHERE app_id = ? AND archived_at < ?${includePending ? '' : ` AND status <> 'pending'`}`,

    counts: `SELECT status, COUNT(*) AS count FROM ${t} WHERE app_id = ? GROUP BY status`,
  };
}

export type MysqlDeadLetterArchiveStatements = ReturnType<typeof mysqlDeadLetterArchiveStatements>;
