import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { ClientBase, Pool, PoolConfig } from 'pg';
import type { OutboxMessage } from '../../../src/messaging/outbox/outbox.js';
import { uuidv7 } from '../../../src/internal/uuid-v7.js';
import { DATABASE_URL } from '../servers.js';

/** The PostgreSQL the integration tests use (trust auth on localhost by default). */
export const PG_URL = DATABASE_URL;

/** A pool that fails fast when the server is not there; `application_name` lets tests find its backends. */
export function createPool(config: PoolConfig = {}): Pool {
  return new pg.Pool({ connectionString: PG_URL, max: 10, connectionTimeoutMillis: 5_000, ...config });
}

/** A table name no other test file (or run) uses. */
export function uniqueName(prefix = 'tidings_outbox'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/** Drops an outbox table; its token sequence is owned by it, but dropped explicitly in case it is not. */
export async function dropOutbox(pool: Pool, table: string, schema = 'public'): Promise<void> {
  await pool.query(`DROP TABLE IF EXISTS "${schema}"."${table}"`);
  await pool.query(`DROP SEQUENCE IF EXISTS "${schema}"."${table}_token_seq"`);
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

/** Wraps `client.query` to count calls (round trips) and remember their SQL; returns the counter. */
export function countQueries(client: ClientBase): { readonly texts: string[]; restore(): void } {
  const original = client.query;
  const texts: string[] = [];
  (client as { query: unknown }).query = function (this: ClientBase, ...args: unknown[]) {
    const first = args[0];
    texts.push(typeof first === 'string' ? first : String((first as { text?: unknown })?.text));
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  };
  return {
    texts,
    restore: () => {
      (client as { query: unknown }).query = original;
    },
  };
}

/** Polls until `check` returns a truthy value (or throws on timeout). */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
