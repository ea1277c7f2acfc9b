// What the MySQL/MariaDB integration tests share: the server (MYSQL_URL), pools, unique table names.
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import type { Pool, PoolOptions } from 'mysql2/promise';
import type { OutboxMessage } from '../../../src/messaging/outbox/outbox.js';
import { uuidv7 } from '../../../src/internal/uuid-v7.js';
import { MYSQL_URL } from '../servers.js';

export { MYSQL_URL };

/** A pool that fails fast when the server is not there. */
export function createPool(options: PoolOptions = {}): Pool {
  return mysql.createPool({ uri: MYSQL_URL, connectionLimit: 10, connectTimeout: 5_000, ...options });
}

/** A table name no other test file (or run) uses. */
export function uniqueName(prefix = 'tidings_outbox'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/** Drops an outbox table and its token counter. */
export async function dropOutbox(pool: Pool, table: string): Promise<void> {
  await pool.query(`DROP TABLE IF EXISTS \`${table}\`, \`${table}_token\``);
}

/** An outbox message; `payload` (JSON) stands for `content` when that is not given. */
export function message({
  payload = { orderId: 'o-1', total: 42 },
  ...overrides
}: Partial<OutboxMessage> & { payload?: unknown } = {}): OutboxMessage {
  return {
    id: uuidv7(),
    exchange: 'order',
    routingKey: 'order.placed',
    content: Buffer.from(JSON.stringify(payload), 'utf8'),
    properties: { type: 'order.placed', appId: 'orders' },
    ...overrides,
  };
}

/** Connections of the pool in use (checked out and not given back). */
export function checkedOut(pool: Pool): number {
  const core = (
    pool as unknown as { pool: { _allConnections: { length: number }; _freeConnections: { length: number } } }
  ).pool;
  return core._allConnections.length - core._freeConnections.length;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
