import { assertKnownOptions, optionKeys } from '../../internal/options.js';
import { MAX_IDENTIFIER_LENGTH, mysqlIdentifier, quoteIdentifier } from './mysql-identifier.js';

/** Where the outbox lives; every SQL name tidings uses is derived from it. */
export interface MysqlOutboxNameOptions {
  /**
   * The outbox table, in the connection's database. Its token counter is the table `<table>_token`,
   * which is why the name may be at most 58 characters long.
   * @defaultValue 'tidings_outbox'
   */
  table?: string;
}

/** Checked by the compiler against MysqlOutboxNameOptions: a key added there must be added here. */
const MYSQL_OUTBOX_NAME_OPTION_KEYS = optionKeys<MysqlOutboxNameOptions>({ table: true });

/**
 * The names, validated and quoted. Built here and nowhere else, so that no other code pastes a
 * user-supplied name into SQL.
 *
 * @inline
 */
export interface MysqlOutboxNames {
  readonly table: string;
  /** `` `table` ``. */
  readonly quotedTable: string;
  /** `` `<table>_token` ``: a one-row table, the source of fencing tokens. */
  readonly quotedCounter: string;
}

const COUNTER_SUFFIX = '_token';

export const DEFAULT_OUTBOX_TABLE = 'tidings_outbox';

/** Validates the name and quotes it. Throws an `InvalidArgumentError` naming the option. */
export function mysqlOutboxNames(
  options: MysqlOutboxNameOptions = {},
  where = 'MysqlOutbox',
): MysqlOutboxNames {
  const table = mysqlIdentifier(
    options.table,
    DEFAULT_OUTBOX_TABLE,
    `${where}: table`,
    MAX_IDENTIFIER_LENGTH - COUNTER_SUFFIX.length,
  );
  return {
    table,
    quotedTable: quoteIdentifier(table),
    quotedCounter: quoteIdentifier(table + COUNTER_SUFFIX),
  };
}

/**
 * The DDL of the outbox, idempotent (`IF NOT EXISTS`, the counter row inserted once): the table and its
 * one-row token counter, as statements separated by `;`. For a migration tool or the `mysql` client;
 * `MysqlOutbox.ensureSchema()` runs the same statements. MySQL 8 or MariaDB 10.6 and later (both have
 * `SKIP LOCKED`).
 *
 * @example
 * // In a migration (a connection created with multipleStatements: true):
 * await connection.query(mysqlOutboxSchemaSql({ table: 'outbox' }));
 */
export function mysqlOutboxSchemaSql(options: MysqlOutboxNameOptions = {}): string {
  assertKnownOptions(options, MYSQL_OUTBOX_NAME_OPTION_KEYS, 'mysqlOutboxSchemaSql');
  return `${schemaStatements(mysqlOutboxNames(options, 'mysqlOutboxSchemaSql')).join(';\n')};\n`;
}

/**
 * One row per message. `body` holds the very bytes to publish; `typed_headers` the header table in the
 * dead-letter archive's lossless typed JSON, as text so that the keys keep their order (MySQL's JSON type
 * sorts them); `properties` the other AMQP properties as JSON text. Times are UTC (`UTC_TIMESTAMP(3)`),
 * whatever the session's `time_zone`. One index serves claims (the NULL `published_at` entries, by
 * `available_at`), `release` and retention (the others, by `published_at`).
 */
function schemaStatements(names: MysqlOutboxNames): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${names.quotedTable} (
  id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  exchange VARCHAR(255) NOT NULL,
  routing_key VARCHAR(255) NOT NULL,
  body LONGBLOB NOT NULL,
  typed_headers LONGTEXT NULL,
  properties LONGTEXT NOT NULL,
  created_at DATETIME(3) NOT NULL,
  available_at DATETIME(3) NOT NULL,
  attempts INT UNSIGNED NOT NULL DEFAULT 0,
  last_error TEXT NULL,
  lease_owner VARCHAR(200) NULL,
  lease_token BIGINT UNSIGNED NULL,
  lease_expires_at DATETIME(3) NULL,
  published_at DATETIME(3) NULL,
  PRIMARY KEY (id),
  KEY claim_idx (published_at, available_at, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin`,
    `CREATE TABLE IF NOT EXISTS ${names.quotedCounter} (
  id TINYINT UNSIGNED NOT NULL,
  v BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (id)
) ENGINE = InnoDB`,
    `INSERT INTO ${names.quotedCounter} (id, v) VALUES (1, 0) ON DUPLICATE KEY UPDATE id = id`,
  ];
}

/** Columns a claim returns (`ClaimedRecord`); the token and the creation time computed by the server. */
const CLAIMED_COLUMNS = `id, exchange, routing_key, body, typed_headers, properties, attempts,
  TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', created_at) DIV 1000 AS created_at_ms,
  CAST(LAST_INSERT_ID() AS CHAR) AS lease_token`;

/** `count` placeholders, comma-separated. */
function marks(count: number): string {
  return Array.from({ length: count }, () => '?').join(', ');
}

/** A lease's proof: its token (bound as text, cast so that no comparison goes through a double). */
export interface LeaseGroup {
  token: string;
  ids: string[];
}

/**
 * The condition "this row is held by `owner` with the token of the group it is in": rows are grouped by
 * token (a claim gives all its rows one token, so a batch is usually one group). Its parameters:
 * the owner, then each group's token and ids.
 */
function heldBy(groups: readonly LeaseGroup[]): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const parts = groups.map(({ token, ids }) => {
    params.push(token, ...ids);
    return `(lease_token = CAST(? AS UNSIGNED) AND id IN (${marks(ids.length)}))`;
  });
  return { sql: `lease_owner = ? AND (${parts.join(' OR ')})`, params };
}

/** Every statement `MysqlOutbox` runs, built from the validated names (and counts of placeholders). */
export function mysqlOutboxStatements(names: MysqlOutboxNames) {
  const t = names.quotedTable;
  const now = 'UTC_TIMESTAMP(3)';
  return {
    schema: schemaStatements(names),

    /** Session-wide, named after the database and the table: two processes never race on the DDL. */
    lock: `SELECT GET_LOCK(CONCAT('tidings:', SHA1(CONCAT(IFNULL(DATABASE(), ''), '.', ?))), ?) AS locked`,
    unlock: `SELECT RELEASE_LOCK(CONCAT('tidings:', SHA1(CONCAT(IFNULL(DATABASE(), ''), '.', ?)))) AS released`,

    /** Six parameters per row: id, exchange, routing key, body, typed headers, properties. */
    add: (rows: number) =>
      `INSERT INTO ${t} (id, exchange, routing_key, body, typed_headers, properties, created_at, available_at)
VALUES ${Array.from({ length: rows }, () => `(?, ?, ?, ?, ?, ?, ${now}, ${now})`).join(',\n  ')}`,

    // A claim is one transaction: the counter first (its row lock makes claims take turns for a few
    // round trips, and every claimed row a token larger than any before), then the due rows, oldest
    // first, skipping those another transaction holds, then their lease. Stateless (no cursor): a row
    // whose transaction commits late is found by the next claim after its commit, however old its id.
    // The index on (published_at, available_at, id) returns the rows in this order and stops at the
    // first one not yet available.
    nextToken: `UPDATE ${names.quotedCounter} SET v = LAST_INSERT_ID(v + 1) WHERE id = 1`,
    /** The limit is a validated integer, written into the statement (some drivers bind LIMIT badly). */
    due: (limit: number) => `SELECT ${CLAIMED_COLUMNS}
FROM ${t}
WHERE published_at IS NULL AND available_at <= ${now}
  AND (lease_expires_at IS NULL OR lease_expires_at <= ${now})
ORDER BY available_at, id
LIMIT ${String(limit)}
FOR UPDATE SKIP LOCKED`,
    /** $owner, lease in µs, ids. */
    lease: (rows: number) => `UPDATE ${t}
SET lease_owner = ?, lease_token = LAST_INSERT_ID(),
    lease_expires_at = ${now} + INTERVAL ? MICROSECOND
WHERE id IN (${marks(rows)})`,

    // Fencing: only the owner holding the current token may mark a row. A relay whose lease expired
    // and was claimed again (with a new token) is refused; one whose lease expired but was not taken
    // over may still mark it, since it did publish it. The owner and token stay on the row as a record
    // of who published it. MySQL has no UPDATE … RETURNING: the affected rows tell whether every row was
    // marked, and only when some were not does a second statement find which.
    markPublished: (groups: readonly LeaseGroup[]) => {
      const held = heldBy(groups);
      return {
        sql: `UPDATE ${t} SET published_at = ${now}, lease_expires_at = NULL
WHERE published_at IS NULL AND ${held.sql}`,
        params: held.params,
      };
    },
    /** The rows of `groups` now published under their lease. */
    publishedBy: (groups: readonly LeaseGroup[]) => {
      const held = heldBy(groups);
      return {
        sql: `SELECT id FROM ${t} WHERE published_at IS NOT NULL AND ${held.sql}`,
        params: held.params,
      };
    },

    /** The rows of `groups` still held (unpublished, same owner and token); `forUpdate` locks them. */
    held: (groups: readonly LeaseGroup[], forUpdate: boolean) => {
      const held = heldBy(groups);
      return {
        sql: `SELECT id FROM ${t} WHERE published_at IS NULL AND ${held.sql}${forUpdate ? ' FOR UPDATE' : ''}`,
        params: held.params,
      };
    },
    /** Per row: id, error; then per row: id, delay in µs; then the ids. */
    markFailed: (rows: number) => `UPDATE ${t}
SET attempts = attempts + 1,
    last_error = CASE id ${Array.from({ length: rows }, () => 'WHEN ? THEN ?').join(' ')} END,
    available_at = ${now} + INTERVAL (CASE id ${Array.from({ length: rows }, () => 'WHEN ? THEN ?').join(' ')} END) MICROSECOND,
    lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
WHERE id IN (${marks(rows)})`,

    extendLease: (groups: readonly LeaseGroup[], leaseMicros: number) => {
      const held = heldBy(groups);
      return {
        sql: `UPDATE ${t} SET lease_expires_at = ${now} + INTERVAL ? MICROSECOND
WHERE published_at IS NULL AND ${held.sql}`,
        params: [leaseMicros, ...held.params],
      };
    },

    /** The claim index's NULL range holds every unpublished row: no scan of the published ones. */
    release: `UPDATE ${t}
SET lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
WHERE published_at IS NULL AND lease_owner = ?`,

    // Retention finds the rows with a plain (non-locking) read, then deletes them by primary key: a
    // locking range scan of the index would lock the gap next to the unpublished rows too (under
    // repeatable read), which is where business transactions insert theirs.
    oldPublished: (limit: number) => `SELECT id FROM ${t}
WHERE published_at IS NOT NULL AND published_at < ?
ORDER BY published_at
LIMIT ${String(limit)}`,
    deletePublished: (rows: number) =>
      `DELETE FROM ${t} WHERE id IN (${marks(rows)}) AND published_at IS NOT NULL`,

    stats: `SELECT COUNT(*) AS pending,
  COALESCE(SUM(lease_expires_at > ${now}), 0) AS in_flight,
  COALESCE(SUM(attempts > 0), 0) AS failing,
  COALESCE(GREATEST(0, TIMESTAMPDIFF(MICROSECOND, MIN(created_at), ${now})), 0) / 1000 AS oldest_pending_age_ms,
  (SELECT COUNT(*) FROM ${t} WHERE published_at IS NOT NULL) AS published
FROM ${t} WHERE published_at IS NULL`,
  };
}

export type MysqlOutboxStatements = ReturnType<typeof mysqlOutboxStatements>;
