import { assertKnownOptions, optionKeys } from '../../internal/options.js';
import { ARCHIVE_COLUMNS, type ArchiveColumn } from '../../messaging/dead-letters/archive-row.js';
import {
  DEFAULT_PG_SCHEMA,
  MAX_IDENTIFIER_LENGTH,
  pgIdentifier,
  quoteIdentifier,
  quoteLiteral,
} from './pg-identifier.js';

/** Where the dead-letter archive lives. */
export interface PgDeadLetterArchiveNameOptions {
  /**
   * The schema of the table. It must exist: tidings does not create schemas.
   * @defaultValue 'public'
   */
  schema?: string;
  /**
   * The archive table. Its constraints and index are named after it (`<table>_fingerprint_key`,
   * `<table>_status_check`, `<table>_status_idx`), which is why it may be at most 47 characters long.
   * @defaultValue 'tidings_dead_letters'
   */
  table?: string;
}

/** The names, validated and quoted; no other code pastes a user-supplied name into SQL. */
export interface PgDeadLetterArchiveNames {
  readonly schema: string;
  readonly table: string;
  /** `"schema"."table"`. */
  readonly qualifiedTable: string;
}

export const DEFAULT_ARCHIVE_TABLE = 'tidings_dead_letters';
const LONGEST_SUFFIX = '_fingerprint_key'.length;
const NAME_OPTION_KEYS = optionKeys<PgDeadLetterArchiveNameOptions>({ schema: true, table: true });

export function pgDeadLetterArchiveNames(
  options: PgDeadLetterArchiveNameOptions = {},
  where = 'PgDeadLetterArchive',
): PgDeadLetterArchiveNames {
  const schema = pgIdentifier(options.schema, DEFAULT_PG_SCHEMA, `${where}: schema`, MAX_IDENTIFIER_LENGTH);
  const table = pgIdentifier(
    options.table,
    DEFAULT_ARCHIVE_TABLE,
    `${where}: table`,
    MAX_IDENTIFIER_LENGTH - LONGEST_SUFFIX,
  );
  return { schema, table, qualifiedTable: `${quoteIdentifier(schema)}.${quoteIdentifier(table)}` };
}

/**
 * The DDL of the archive, idempotent: for a migration tool or `psql`; `PgDeadLetterArchive.ensureSchema()`
 * runs the same statements.
 *
 * @example
 * await client.query(pgDeadLetterArchiveSchemaSql({ table: 'dead_letters' }));
 */
export function pgDeadLetterArchiveSchemaSql(options: PgDeadLetterArchiveNameOptions = {}): string {
  assertKnownOptions(options, NAME_OPTION_KEYS, 'pgDeadLetterArchiveSchemaSql');
  return schemaStatements(pgDeadLetterArchiveNames(options, 'pgDeadLetterArchiveSchemaSql'))
    .map((statement) => `${statement};\n`)
    .join('');
}

function schemaStatements(names: PgDeadLetterArchiveNames): string[] {
  const t = names.qualifiedTable;
  const named = (suffix: string): string => quoteIdentifier(names.table + suffix);
  // The unique key is what makes archiving safe to repeat: a dead letter whose row committed but whose
  // ack was lost comes back from the queue and meets its own row (see deadLetterFingerprint).
  return [
    `CREATE TABLE IF NOT EXISTS ${t} (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  app_id text NOT NULL,
  dead_letter_queue text NOT NULL,
  fingerprint text NOT NULL,
  message_id text NOT NULL,
  source_queue text,
  exchange text NOT NULL,
  routing_key text NOT NULL,
  reason text NOT NULL,
  attempts integer,
  error_name text,
  error_message text,
  error_stack text,
  consumer_app text,
  first_failure_at timestamptz,
  dead_lettered_at timestamptz,
  headers jsonb NOT NULL,
  properties jsonb NOT NULL,
  content_type text,
  body bytea NOT NULL,
  status text NOT NULL DEFAULT 'pending'
    CONSTRAINT ${named('_status_check')} CHECK (status IN ('pending', 'replayed', 'discarded')),
  archived_at timestamptz NOT NULL DEFAULT now(),
  replayed_at timestamptz,
  discarded_at timestamptz,
  CONSTRAINT ${named('_fingerprint_key')} UNIQUE (app_id, fingerprint)
)`,
    `CREATE INDEX IF NOT EXISTS ${named('_status_idx')} ON ${t} (app_id, status, id)`,
  ];
}

/** Every statement `PgDeadLetterArchive` runs, built once from the validated names. */
export interface PgDeadLetterArchiveStatements {
  /** A transaction-scoped advisory lock, taken before the DDL: concurrent first runs do not race. */
  readonly lock: string;
  /** The DDL, one statement each (an ORM's unit of work may refuse several in one). */
  readonly schema: readonly string[];
  /** $1…$19 the columns of `INSERT_COLUMNS`; returns `id` and `added` (false: the row was there). */
  readonly insert: string;
  /** Rows matching `SELECTION` ($1…$7), oldest first. */
  readonly select: string;
  /** The same, locking the rows and skipping those another replay or discard holds. */
  readonly selectForUpdate: string;
  /** How many rows match `SELECTION` ($1…$6, no limit). */
  readonly count: string;
  /** $1 app id, $2 ids. */
  readonly markReplayed: string;
  /** Marks rows matching `SELECTION` ($5 = 'pending') discarded; returns their ids. */
  readonly discard: string;
  /** $1 app id, $2 archived before, $3 pending rows too. */
  readonly purge: string;
  /** $1 app id: rows per status. */
  readonly counts: string;
}

/** The insert's columns, in the order of its parameters (the neutral row's). */
export const INSERT_COLUMNS = ARCHIVE_COLUMNS;

const CASTS: Partial<Record<ArchiveColumn, string>> = {
  attempts: '::integer',
  first_failure_at: '::timestamptz',
  dead_lettered_at: '::timestamptz',
  headers: '::jsonb',
  properties: '::jsonb',
  body: '::bytea',
};

/**
 * Rows of one application ($1), by ids ($2, or null for any), original queue ($3), reason ($4), status
 * ($5), after an id ($6, '0' from the start); `LIMIT $7`.
 */
const SELECTION = `app_id = $1
  AND ($2::bigint[] IS NULL OR id = ANY ($2::bigint[]))
  AND ($3::text IS NULL OR source_queue = $3)
  AND ($4::text IS NULL OR reason = $4)
  AND ($5::text IS NULL OR status = $5)
  AND id > $6::bigint`;

/**
 * Columns as tidings reads them: JSON and times as text, parsed by tidings, whatever type parsers the
 * application installed in pg.
 */
export const SELECTED_COLUMNS = `id::text AS id, app_id, dead_letter_queue, message_id, source_queue, exchange,
    routing_key, reason, attempts, error_name, error_message, error_stack, consumer_app,
    ${epochMs('first_failure_at')}, ${epochMs('dead_lettered_at')}, headers::text AS headers,
    properties::text AS properties, content_type, body, status, ${epochMs('archived_at')},
    ${epochMs('replayed_at')}, ${epochMs('discarded_at')}`;

function epochMs(column: string): string {
  return `floor(extract(epoch FROM ${column}) * 1000)::bigint::text AS ${column}`;
}

export function pgDeadLetterArchiveStatements(
  names: PgDeadLetterArchiveNames,
): PgDeadLetterArchiveStatements {
  const t = names.qualifiedTable;
  const lockKey = quoteLiteral(`tidings_dead_letters:${names.schema}.${names.table}`);
  const values = INSERT_COLUMNS.map((column, index) => `$${index + 1}${CASTS[column] ?? ''}`).join(', ');
  return {
    lock: `SELECT pg_advisory_xact_lock(hashtext(${lockKey}))`,
    schema: schemaStatements(names),

    // The existing row's id is read in the same statement when the insert met the unique key. (When the
    // conflicting row was committed by a concurrent archiver after this statement began, it is not
    // visible to it and no id comes back: the caller reports a duplicate without one.)
    insert: `WITH added AS (
  INSERT INTO ${t} (${INSERT_COLUMNS.join(', ')})
  VALUES (${values})
  ON CONFLICT (app_id, fingerprint) DO NOTHING
  RETURNING id
)
SELECT id::text AS id, true AS added FROM added
UNION ALL
SELECT id::text AS id, false AS added FROM ${t}
WHERE app_id = $1 AND fingerprint = $3 AND NOT EXISTS (SELECT 1 FROM added)`,

    select: `SELECT ${SELECTED_COLUMNS} FROM ${t}
WHERE ${SELECTION}
ORDER BY id
LIMIT $7`,

    selectForUpdate: `SELECT ${SELECTED_COLUMNS} FROM ${t}
WHERE ${SELECTION}
ORDER BY id
LIMIT $7
FOR UPDATE SKIP LOCKED`,

    count: `SELECT count(*)::float8 AS count FROM ${t} WHERE ${SELECTION}`,

    markReplayed: `UPDATE ${t} SET status = 'replayed', replayed_at = now()
WHERE app_id = $1 AND id = ANY ($2::bigint[]) AND status = 'pending'`,

    discard: `UPDATE ${t} SET status = 'discarded', discarded_at = now()
WHERE id = ANY (ARRAY(
  SELECT id FROM ${t}
  WHERE ${SELECTION}
  ORDER BY id
  LIMIT $7
  FOR UPDATE SKIP LOCKED
))
RETURNING id::text AS id`,

    purge: `DELETE FROM ${t}
WHERE app_id = $1 AND archived_at < $2::timestamptz AND ($3::boolean OR status <> 'pending')`,

    counts: `SELECT status, count(*)::float8 AS count FROM ${t} WHERE app_id = $1 GROUP BY status`,
  };
}
