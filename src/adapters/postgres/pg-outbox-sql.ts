import { assertKnownOptions } from '../../internal/options.js';
import {
  MAX_IDENTIFIER_LENGTH,
  pgIdentifier as identifier,
  quoteIdentifier,
  quoteLiteral,
} from './pg-identifier.js';

/** Where the outbox lives; every SQL name tidings uses is derived from these three. */
export interface PgOutboxNameOptions {
  /**
   * The schema of the table. It must exist: tidings does not create schemas.
   * @defaultValue 'public'
   */
  schema?: string;
  /**
   * The outbox table. Its sequence and indexes are named after it (`<table>_token_seq`,
   * `<table>_claim_idx`, `<table>_retention_idx`), which is why it may be at most 49 characters long.
   * @defaultValue 'tidings_outbox'
   */
  table?: string;
  /**
   * The LISTEN/NOTIFY channel that `add` notifies (on commit) and `watch` listens to.
   * @defaultValue 'tidings_outbox'
   */
  notifyChannel?: string;
}

/**
 * The names, validated and quoted. Built here and nowhere else, so that no other code pastes a
 * user-supplied name into SQL.
 *
 * @inline
 */
export interface PgOutboxNames {
  readonly schema: string;
  readonly table: string;
  readonly channel: string;
  /** `"schema"."table"`. */
  readonly qualifiedTable: string;
  /** `"schema"."<table>_token_seq"`: the source of fencing tokens. */
  readonly qualifiedSequence: string;
  /** Indexes live in their table's schema, so `CREATE INDEX` takes a bare name. */
  readonly claimIndex: string;
  readonly retentionIndex: string;
  /** The channel as an identifier, for `LISTEN` and `UNLISTEN`. */
  readonly channelIdentifier: string;
}

const SUFFIXES = { sequence: '_token_seq', claimIndex: '_claim_idx', retentionIndex: '_retention_idx' };
const LONGEST_SUFFIX = Math.max(...Object.values(SUFFIXES).map((suffix) => suffix.length));

/** Room left on each page for the claim's HOT update (see schemaStatements). */
const OUTBOX_FILLFACTOR = 50;
/** What tables created by earlier versions have; ensureSchema moves them to OUTBOX_FILLFACTOR. */
const PREVIOUS_OUTBOX_FILLFACTOR = 80;

export const DEFAULT_OUTBOX_SCHEMA = 'public';
export const DEFAULT_OUTBOX_TABLE = 'tidings_outbox';
export const DEFAULT_OUTBOX_CHANNEL = 'tidings_outbox';

/** Validates the names and quotes them. Throws an `InvalidArgumentError` naming the bad one. */
export function pgOutboxNames(options: PgOutboxNameOptions = {}, where = 'PgOutbox'): PgOutboxNames {
  const schema = identifier(options.schema, DEFAULT_OUTBOX_SCHEMA, `${where}: schema`, MAX_IDENTIFIER_LENGTH);
  const table = identifier(
    options.table,
    DEFAULT_OUTBOX_TABLE,
    `${where}: table`,
    MAX_IDENTIFIER_LENGTH - LONGEST_SUFFIX,
  );
  const channel = identifier(
    options.notifyChannel,
    DEFAULT_OUTBOX_CHANNEL,
    `${where}: notifyChannel`,
    MAX_IDENTIFIER_LENGTH,
  );
  return {
    schema,
    table,
    channel,
    qualifiedTable: `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`,
    qualifiedSequence: `${quoteIdentifier(schema)}.${quoteIdentifier(table + SUFFIXES.sequence)}`,
    claimIndex: quoteIdentifier(table + SUFFIXES.claimIndex),
    retentionIndex: quoteIdentifier(table + SUFFIXES.retentionIndex),
    channelIdentifier: quoteIdentifier(channel),
  };
}

/**
 * The DDL of the outbox, idempotent (`IF NOT EXISTS` everywhere): a table, a sequence for fencing
 * tokens, a partial index that serves claims and a partial index that serves retention. A table an
 * earlier version created gets the columns of this one (`body`, `typed_headers`; `payload` may be null),
 * its rows untouched. For a migration tool or `psql`; `PgOutbox.ensureSchema()` runs the same statements.
 *
 * @example
 * // In a migration:
 * await client.query(pgOutboxSchemaSql({ schema: 'app', table: 'outbox' }));
 */
export function pgOutboxSchemaSql(options: Omit<PgOutboxNameOptions, 'notifyChannel'> = {}): string {
  assertKnownOptions(options, ['schema', 'table'], 'pgOutboxSchemaSql');
  return schemaSql(pgOutboxNames(options, 'pgOutboxSchemaSql'));
}

function schemaSql(names: PgOutboxNames): string {
  return `${schemaStatements(names).join('\n')}\n`;
}

/** The DDL as separate statements: a driver or ORM that prepares statements runs one at a time. */
function schemaStatements(names: PgOutboxNames): string[] {
  const t = names.qualifiedTable;
  // fillfactor 50: every row is updated twice (claimed, then published). The claim changes no indexed
  // column, so with room on the page for the new version it is a HOT update: no new entry in any of the
  // three indexes, and later claims walk fewer dead ones. At 80 only about one claim in six found room
  // (pg_stat_user_tables); at 50 every one does, and a claim of 500 rows took 8.7 ms instead of 13.7
  // (benchmarks/outbox/README.md). The table is a queue whose published rows are deleted: the room is
  // cheap. (The mark cannot be HOT: published_at is in the partial indexes' predicates.)
  // `body` and `typed_headers` hold the message as encoded for the broker (see pg-outbox-rows.ts);
  // `payload` and `headers` are read only from rows that an earlier version wrote.
  return [
    `CREATE TABLE IF NOT EXISTS ${t} (
  id uuid PRIMARY KEY,
  exchange text NOT NULL,
  routing_key text NOT NULL,
  body bytea,
  typed_headers json,
  payload jsonb,
  headers jsonb,
  properties jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  available_at timestamptz NOT NULL DEFAULT now(),
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  lease_owner text,
  lease_token bigint,
  lease_expires_at timestamptz,
  published_at timestamptz
) WITH (fillfactor = ${OUTBOX_FILLFACTOR});`,
    upgradeSql(names),
    `CREATE SEQUENCE IF NOT EXISTS ${names.qualifiedSequence} AS bigint OWNED BY ${t}.lease_token;`,
    `CREATE INDEX IF NOT EXISTS ${names.claimIndex} ON ${t} (available_at, id) WHERE published_at IS NULL;`,
    `CREATE INDEX IF NOT EXISTS ${names.retentionIndex} ON ${t} (published_at) WHERE published_at IS NOT NULL;`,
  ];
}

/**
 * Brings a table created by an earlier version (`payload jsonb NOT NULL`, no `body`) to this one: adds
 * the columns and lets `payload` be null. Its rows stay as they are and are relayed as before.
 *
 * The ALTER runs only when the catalog says it is needed: even a no-op `ALTER TABLE … ADD COLUMN IF NOT
 * EXISTS` waits for an ACCESS EXCLUSIVE lock, so every `ensureSchema()` at start-up would queue behind
 * any long transaction on the outbox — and every business transaction writing to it behind that.
 */
function upgradeSql(names: PgOutboxNames): string {
  const column = (name: string, notNull = false) =>
    `SELECT FROM pg_attribute WHERE attrelid = ${quoteLiteral(names.qualifiedTable)}::regclass
      AND attname = '${name}' AND NOT attisdropped${notNull ? ' AND attnotnull' : ''}`;
  // A table created with the previous default fillfactor (80) gets this one: it applies to pages
  // written from now on, and takes a lock that neither reads nor writes wait for. A fillfactor the
  // application chose is left alone.
  return `DO $tidings_outbox$
BEGIN
  IF NOT EXISTS (${column('body')}) OR NOT EXISTS (${column('typed_headers')})
     OR EXISTS (${column('payload', true)}) THEN
    ALTER TABLE ${names.qualifiedTable}
      ADD COLUMN IF NOT EXISTS body bytea,
      ADD COLUMN IF NOT EXISTS typed_headers json,
      ALTER COLUMN payload DROP NOT NULL;
  END IF;
  IF EXISTS (SELECT FROM pg_class WHERE oid = ${quoteLiteral(names.qualifiedTable)}::regclass
             AND reloptions @> ARRAY['fillfactor=${PREVIOUS_OUTBOX_FILLFACTOR}']) THEN
    ALTER TABLE ${names.qualifiedTable} SET (fillfactor = ${OUTBOX_FILLFACTOR});
  END IF;
END
$tidings_outbox$;`;
}

/** Every statement `PgOutbox` runs, built once from the validated names. */
export interface PgOutboxStatements {
  /**
   * The DDL, one statement each, to run in one transaction after `lock`: two processes that start at
   * once do not race on `CREATE ... IF NOT EXISTS`.
   */
  readonly schema: readonly string[];
  /** A transaction-scoped advisory lock on the outbox's name (no `void` column: Prisma cannot read one). */
  readonly lock: string;
  /**
   * $1 ids, $2 exchanges, $3 routing keys, $4 bodies, $5 typed headers, $6 properties, each an array
   * literal (see `pgArray`); $7 channel.
   */
  readonly add: string;
  /** $1 owner, $2 limit, $3 lease in milliseconds. */
  readonly claim: string;
  /** $1 owner, $2 ids, $3 lease tokens. */
  readonly markPublished: string;
  /** $1 owner, $2 id, $3 lease token, $4 error, $5 retry at. */
  readonly markFailed: string;
  readonly extendLease: string;
  /** $1 owner. */
  readonly release: string;
  /** $1 before, $2 limit. */
  readonly deletePublished: string;
  readonly stats: string;
  readonly listen: string;
  readonly unlisten: string;
}

/**
 * Columns a claim returns (`ClaimedRecord`): JSON and the body (as hex) come back as text, parsed by
 * tidings, whatever type parsers pg has. `payload` and `headers` are set only in rows of the previous format.
 */
const CLAIMED_COLUMNS = `id::text AS id, exchange, routing_key, encode(body, 'hex') AS body,
    typed_headers::text AS typed_headers, payload::text AS payload, headers::text AS headers,
    properties::text AS properties, attempts,
    (extract(epoch FROM created_at) * 1000)::float8 AS created_at_ms, lease_token::text AS lease_token`;

/**
 * The claim's result columns: `CLAIMED_COLUMNS` by name, without the `available_at` it is sorted by, which
 * would cost a timestamp's text on the server and a `Date` parsed by pg per row, for nothing.
 */
const CLAIMED_OUTPUT = `id, exchange, routing_key, body, typed_headers, payload, headers, properties, attempts,
    created_at_ms, lease_token`;

export function pgOutboxStatements(names: PgOutboxNames): PgOutboxStatements {
  const t = names.qualifiedTable;
  const lockKey = quoteLiteral(`tidings_outbox:${names.schema}.${names.table}`);
  return {
    schema: schemaStatements(names),
    lock: `SELECT true AS locked FROM pg_advisory_xact_lock(hashtext(${lockKey}))`,

    // One statement, so one round trip for any number of messages: the rows come in as parallel arrays
    // (no limit on their length, unlike bind parameters), each bound as one array literal so that every
    // driver and ORM passes it as it is (Knex would expand a JS array into a list). pg_notify is transactional: the hint is
    // delivered on commit, and never for a rollback. The INSERT runs although nothing reads it.
    add: `WITH added AS (
  INSERT INTO ${t} (id, exchange, routing_key, body, typed_headers, properties)
  SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bytea[], $5::json[], $6::jsonb[])
)
SELECT pg_notify($7, '')`,

    // Due rows, oldest first, skipping rows another relay is locking right now. Stateless (no cursor or
    // "last id seen"): a row whose transaction commits late is simply found by the next claim after
    // its commit, however old its id. The index on (available_at, id) WHERE published_at IS NULL
    // returns rows in this order and stops at the first one not yet available, so a claim reads about
    // `limit` rows plus those under a live lease, whatever the backlog; rows waiting for a retry are
    // beyond `now()` in the index and cost nothing. Each claimed row gets a new token (fencing).
    claim: `WITH due AS (
  SELECT id FROM ${t}
  WHERE published_at IS NULL
    AND available_at <= now()
    AND (lease_expires_at IS NULL OR lease_expires_at <= now())
  ORDER BY available_at, id
  LIMIT $2::integer
  FOR UPDATE SKIP LOCKED
), claimed AS (
  UPDATE ${t}
  SET lease_owner = $1,
      lease_token = nextval(${quoteLiteral(names.qualifiedSequence)}::regclass),
      lease_expires_at = now() + $3::bigint * interval '1 millisecond'
  WHERE id = ANY (ARRAY(SELECT id FROM due))
  RETURNING ${CLAIMED_COLUMNS}, available_at
)
SELECT ${CLAIMED_OUTPUT} FROM claimed ORDER BY available_at, id`,

    // Fencing: only the owner holding the current token may mark a row. A relay whose lease expired
    // and was claimed again (with a new token) is refused; one whose lease expired but was not taken
    // over may still mark it, since it did publish it. The owner and token stay on the row as a record
    // of who published it.
    //
    // The rows are found by primary key (id = ANY) and each one's token looked up by position: joining
    // the table with unnest() of the arrays got a nested-loop plan, quadratic in the batch (143 ms for
    // 1,000 rows against 8 ms this way, benchmarks/outbox). The same goes for markFailed and extendLease.
    // (Checking tokens as a set, `lease_token = ANY ($3)`, is hashed and 15 % faster for 500 rows, but a
    // row would then be marked by its token found anywhere in the batch, not only beside its id.)
    markPublished: `UPDATE ${t} AS o
SET published_at = now(), lease_expires_at = NULL
WHERE o.id = ANY ($2::uuid[]) AND o.lease_owner = $1 AND o.published_at IS NULL
  AND o.lease_token = ($3::bigint[])[array_position($2::uuid[], o.id)]
RETURNING o.id::text AS id`,

    // One statement for a batch of failures; the retry time is the database's now() plus the delay, as
    // claims compare available_at with the database's now().
    markFailed: `UPDATE ${t} AS o
SET attempts = o.attempts + 1,
    last_error = ($4::text[])[array_position($2::uuid[], o.id)],
    available_at = now() + ($5::bigint[])[array_position($2::uuid[], o.id)] * interval '1 millisecond',
    lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
WHERE o.id = ANY ($2::uuid[]) AND o.lease_owner = $1 AND o.published_at IS NULL
  AND o.lease_token = ($3::bigint[])[array_position($2::uuid[], o.id)]
RETURNING o.id::text AS id`,

    // The same fencing as markPublished: only the current lease can be extended.
    extendLease: `UPDATE ${t} AS o
SET lease_expires_at = now() + $4::bigint * interval '1 millisecond'
WHERE o.id = ANY ($2::uuid[]) AND o.lease_owner = $1 AND o.published_at IS NULL
  AND o.lease_token = ($3::bigint[])[array_position($2::uuid[], o.id)]
RETURNING o.id::text AS id`,

    release: `UPDATE ${t}
SET lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
WHERE lease_owner = $1 AND published_at IS NULL`,

    // Oldest first, in batches, skipping rows another cleaner is deleting: short transactions, no waits.
    deletePublished: `DELETE FROM ${t}
WHERE id = ANY (ARRAY(
  SELECT id FROM ${t}
  WHERE published_at < $1::timestamptz
  ORDER BY published_at
  LIMIT $2::integer
  FOR UPDATE SKIP LOCKED
))`,

    stats: `SELECT p.pending, p.in_flight, p.failing, p.oldest_pending_age_ms, r.published
FROM (
  SELECT count(*)::float8 AS pending,
         (count(*) FILTER (WHERE lease_expires_at > now()))::float8 AS in_flight,
         (count(*) FILTER (WHERE attempts > 0))::float8 AS failing,
         coalesce(greatest(0, extract(epoch FROM now() - min(created_at)) * 1000), 0)::float8
           AS oldest_pending_age_ms
  FROM ${t} WHERE published_at IS NULL
) AS p, (
  SELECT count(*)::float8 AS published FROM ${t} WHERE published_at IS NOT NULL
) AS r`,

    listen: `LISTEN ${names.channelIdentifier}`,
    unlisten: `UNLISTEN ${names.channelIdentifier}`,
  };
}
