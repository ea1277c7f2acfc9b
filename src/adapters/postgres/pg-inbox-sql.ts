import { assertKnownOptions, optionKeys } from '../../internal/options.js';
import {
  DEFAULT_PG_SCHEMA,
  MAX_IDENTIFIER_LENGTH,
  pgIdentifier,
  quoteIdentifier,
  quoteLiteral,
} from './pg-identifier.js';

/** Where the inbox lives. */
export interface PgInboxNameOptions {
  /**
   * The schema of the table. It must exist: tidings does not create schemas.
   * @defaultValue 'public'
   */
  schema?: string;
  /**
   * The inbox table.
   * @defaultValue 'tidings_inbox'
   */
  table?: string;
}

/** The names, validated and quoted; no other code pastes a user-supplied name into SQL. */
export interface PgInboxNames {
  readonly schema: string;
  readonly table: string;
  /** `"schema"."table"`. */
  readonly qualifiedTable: string;
}

export const DEFAULT_INBOX_TABLE = 'tidings_inbox';

const NAME_OPTION_KEYS = optionKeys<PgInboxNameOptions>({ schema: true, table: true });

/** Validates the names and quotes them. Throws an `InvalidArgumentError` naming the bad one. */
export function pgInboxNames(options: PgInboxNameOptions = {}, where = 'PgInbox'): PgInboxNames {
  const schema = pgIdentifier(options.schema, DEFAULT_PG_SCHEMA, `${where}: schema`, MAX_IDENTIFIER_LENGTH);
  const table = pgIdentifier(options.table, DEFAULT_INBOX_TABLE, `${where}: table`, MAX_IDENTIFIER_LENGTH);
  return { schema, table, qualifiedTable: `${quoteIdentifier(schema)}.${quoteIdentifier(table)}` };
}

/**
 * The DDL of the inbox, idempotent (`IF NOT EXISTS`): for a migration tool or `psql`;
 * `PgInbox.ensureSchema()` runs the same statement.
 *
 * @example
 * // In a migration:
 * await client.query(pgInboxSchemaSql({ schema: 'billing' }));
 */
export function pgInboxSchemaSql(options: PgInboxNameOptions = {}): string {
  assertKnownOptions(options, NAME_OPTION_KEYS, 'pgInboxSchemaSql');
  return schemaSql(pgInboxNames(options, 'pgInboxSchemaSql'));
}

function schemaSql(names: PgInboxNames): string {
  // The primary key is the inbox: a second insert of the same (consumer, message id) meets it.
  return `CREATE TABLE IF NOT EXISTS ${names.qualifiedTable} (
  consumer text NOT NULL,
  message_id text NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, message_id)
);
`;
}

/** Every statement `PgInbox` runs, built once from the validated names. */
export interface PgInboxStatements {
  /** A transaction-scoped advisory lock, taken before the DDL: concurrent first runs do not race. */
  readonly lock: string;
  /** The DDL, one statement. */
  readonly schema: string;
  /** $1 consumer, $2 message id; inserts one row, or none when it is there. */
  readonly record: string;
}

export function pgInboxStatements(names: PgInboxNames): PgInboxStatements {
  const lockKey = quoteLiteral(`tidings_inbox:${names.schema}.${names.table}`);
  return {
    lock: `SELECT true AS locked FROM pg_advisory_xact_lock(hashtext(${lockKey}))`,
    schema: schemaSql(names),
    record: `INSERT INTO ${names.qualifiedTable} (consumer, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
  };
}
