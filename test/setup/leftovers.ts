// What the integration tests leave behind on the shared servers: the global setup lists the broker's
// queues, exchanges and users, Redis keys and PostgreSQL relations before the run, and again after it,
// and the run fails on any new one that a test made.
//
// Only names the tests make count: other processes (other runs, experiments on a dev machine) may
// create and delete objects meanwhile. A test's unique names must therefore match one of the patterns
// below; a new naming scheme in a test needs its pattern here, or its leftovers go unnoticed.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { AMQP_URL, DATABASE_URL, MYSQL_URL, REDIS_URL } from '../integration/servers.js';

const run = promisify(execFile);

/** Eight hex digits: `randomUUID().slice(0, 8)`, the unique part of the tests' broker names. */
const HEX = '[0-9a-f]{8}';

/** Queue, exchange and user names the integration tests make (see each test's unique names). */
export const BROKER_NAME_PATTERNS: readonly RegExp[] = [
  // bridge-scenarios (t), the transport contract (t-), the bad-input corpus, quorum, publishing edge
  // cases, the CLI, the outbox end to end, nack failover, TLS and the security tests.
  new RegExp(`^(t|t-|bad|q|edge|cli|cli-nodlq-|cli-relay-|ob|nack-|tls-|sec-|fidelity-?)${HEX}`),
  // uniqueNames() of the fault tests (not the reliability scenarios' `fault-rel<N>-`, which run apart)
  // and the dead-letter archive scenes.
  new RegExp(`^(fault-(?!rel\\d)[a-z0-9-]+|dla-[a-z0-9-]+)-${HEX}`),
  // examples/demo.ts on RabbitMQ
  /^demo(-billing|-shop)?(\.|$)/,
];

/** Tables and sequences: pg-helpers' uniqueName() (`<prefix>_` and ten hex digits), the examples'. */
export const PG_NAME_PATTERNS: readonly RegExp[] = [
  /^(tidings_outbox|tidings_dead_letters|tidings_inbox|tidings_uow_items|tidings_uow_deferred|broker_fault|pg_fault|relay_killed)_[0-9a-f]{10}(_|$)/,
  /^(tidings_demo_outbox|example_orders|example_outbox|example_dead_letters)(_|$)/,
  // The SQL contract suite's scratch tables (test/contract/sql/).
  /^tidings_sql_[a-z_]+_[0-9a-f]{10}$/,
];

/**
 * Tables on MySQL/MariaDB: the MySQL tests' uniqueName() (`tidings_…_` and ten hex digits, an outbox's
 * `_token` counter next to it), the SQL contract suite's scratch tables (`tidings_sql_<what>_<hex>`) and
 * the examples' (`example_<library>_orders`, `example_<library>_outbox` and its counter).
 */
export const MYSQL_NAME_PATTERNS: readonly RegExp[] = [
  /^tidings_[a-z_]+_[0-9a-f]{10}(_token)?$/,
  /^example_[a-z_]+_(orders|outbox|outbox_token)$/,
];

/** Every repeat counter of the tests is under `tidings-test:`; the default prefix is checked by queue. */
const TEST_KEY_PREFIX = 'tidings-test:';
const DEFAULT_KEY_PREFIX = 'tidings:attempts:';

export function isTestRedisKey(key: string): boolean {
  if (key.startsWith(TEST_KEY_PREFIX)) return true;
  if (!key.startsWith(DEFAULT_KEY_PREFIX)) return false;
  // `tidings:attempts:<percent-encoded queue>:<message id>`
  const encoded = key.slice(DEFAULT_KEY_PREFIX.length).split(':')[0] ?? '';
  let queue: string;
  try {
    queue = decodeURIComponent(encoded);
  } catch {
    return false;
  }
  return (
    queue.startsWith(TEST_KEY_PREFIX) ||
    queue === 'billing.orders' || // examples/redis-repeat-counter.ts
    BROKER_NAME_PATTERNS.some((pattern) => pattern.test(queue))
  );
}

/** Names per kind (`queue`, `exchange`, `user`, `redis key`, `table`…), each kind's list sorted. */
export type Inventory = Map<string, string[]>;

export interface Snapshot {
  inventory: Inventory;
  /** What could not be listed, and why (the check of that part is skipped). */
  skipped: string[];
}

/** The local broker that `rabbitmqctl` on this machine talks to, or why AMQP_URL is another one. */
function localVhost(): { vhost: string } | { reason: string } {
  const url = new URL(AMQP_URL);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port === '' ? 5672 : Number(url.port);
  if (!['127.0.0.1', 'localhost', '::1'].includes(host) || port !== 5672) {
    return { reason: 'AMQP_URL is not the local broker on port 5672, which rabbitmqctl lists' };
  }
  return { vhost: decodeURIComponent(url.pathname.slice(1)) || '/' };
}

async function rabbitmqctlNames(args: string[]): Promise<string[]> {
  const { stdout } = await run('rabbitmqctl', [...args, '--formatter', 'json', '-q'], { timeout: 60_000 });
  const rows = JSON.parse(stdout) as { name?: string; user?: string }[];
  return rows.map((row) => row.name ?? row.user ?? '');
}

async function brokerNames(into: Inventory, skipped: string[]): Promise<void> {
  const local = localVhost();
  if ('reason' in local) {
    skipped.push(`RabbitMQ: ${local.reason}`);
    return;
  }
  const vhost = ['-p', local.vhost];
  try {
    const [queues, exchanges, users] = await Promise.all([
      rabbitmqctlNames(['list_queues', ...vhost, 'name']),
      rabbitmqctlNames(['list_exchanges', ...vhost, 'name']),
      rabbitmqctlNames(['list_users']),
    ]);
    const ours = (names: string[]) => names.filter((name) => BROKER_NAME_PATTERNS.some((p) => p.test(name)));
    into.set('queue', ours(queues));
    into.set('exchange', ours(exchanges));
    into.set('user', ours(users));
  } catch (error) {
    skipped.push(`RabbitMQ: rabbitmqctl failed (${firstLine(error)})`);
  }
}

async function redisKeys(into: Inventory, skipped: string[]): Promise<void> {
  const redis = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    const keys: string[] = [];
    for (const match of [`${TEST_KEY_PREFIX}*`, `${DEFAULT_KEY_PREFIX}*`]) {
      let cursor = '0';
      do {
        const [next, found] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
        keys.push(...found.filter(isTestRedisKey));
        cursor = next;
      } while (cursor !== '0');
    }
    into.set('redis key', keys);
  } catch (error) {
    skipped.push(`Redis: ${firstLine(error)}`);
  } finally {
    redis.disconnect();
  }
}

async function pgRelations(into: Inventory, skipped: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    // Tables, sequences, views; their indexes go with them.
    const { rows } = await client.query<{ name: string; kind: string }>(
      `SELECT c.relname AS name, c.relkind::text AS kind FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'S', 'v', 'm')`,
    );
    const ours = rows.filter(({ name }) => PG_NAME_PATTERNS.some((pattern) => pattern.test(name)));
    into.set(
      'table',
      ours.filter(({ kind }) => kind !== 'S').map(({ name }) => name),
    );
    into.set(
      'sequence',
      ours.filter(({ kind }) => kind === 'S').map(({ name }) => name),
    );
  } catch (error) {
    skipped.push(`PostgreSQL: ${firstLine(error)}`);
  } finally {
    await client.end().catch(() => {});
  }
}

async function mysqlTables(into: Inventory, skipped: string[]): Promise<void> {
  let connection: mysql.Connection | undefined;
  try {
    connection = await mysql.createConnection({ uri: MYSQL_URL, connectTimeout: 5_000 });
    const [rows] = await connection.query<mysql.RowDataPacket[]>(
      'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()',
    );
    const names = rows.map((row) => String(row['name']));
    into.set(
      'mysql table',
      names.filter((name) => MYSQL_NAME_PATTERNS.some((pattern) => pattern.test(name))),
    );
  } catch (error) {
    skipped.push(`MySQL: ${firstLine(error)}`);
  } finally {
    await connection?.end().catch(() => {});
  }
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

/** The tests' objects on the four servers right now. */
export async function snapshot(): Promise<Snapshot> {
  const inventory: Inventory = new Map();
  const skipped: string[] = [];
  await Promise.all([
    brokerNames(inventory, skipped),
    redisKeys(inventory, skipped),
    pgRelations(inventory, skipped),
    mysqlTables(inventory, skipped),
  ]);
  for (const names of inventory.values()) names.sort();
  return { inventory, skipped };
}

/** What `after` holds that `before` did not, per kind; a kind listed only once is not compared. */
export function added(before: Inventory, after: Inventory): Inventory {
  const result: Inventory = new Map();
  for (const [kind, names] of after) {
    const old = before.get(kind);
    if (old === undefined) continue;
    const known = new Set(old);
    const fresh = names.filter((name) => !known.has(name));
    if (fresh.length > 0) result.set(kind, fresh);
  }
  return result;
}

/** The names of `found` that `now` still holds. */
export function kept(found: Inventory, now: Inventory): Inventory {
  const result: Inventory = new Map();
  for (const [kind, names] of found) {
    const current = new Set(now.get(kind) ?? names);
    const still = names.filter((name) => current.has(name));
    if (still.length > 0) result.set(kind, still);
  }
  return result;
}

export function leftoversMessage(leftovers: Inventory): string {
  const lines = [...leftovers].flatMap(([kind, names]) => names.map((name) => `  ${kind} ${name}`));
  return [
    `The integration tests left ${lines.length} object(s) on the shared servers:`,
    ...lines,
    'Each test must delete what it declares or creates (test/helpers/declared-names.ts lists what a',
    'Consumer declares). Existing leftovers are not counted: this lists what this run added.',
  ].join('\n');
}
