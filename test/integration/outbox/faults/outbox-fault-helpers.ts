// Shared by the outbox fault-injection tests: a backlog of committed rows, a consumer that counts message
// ids, the rows' state in PostgreSQL, and the relay child process bundled for a fast start.
import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Esbuild from 'esbuild';
import type { Pool } from 'pg';
import type { Delivery } from '../../../../src/index.js';
import type { AmqpTransport } from '../../../../src/rabbitmq.js';
import type { PgOutbox } from '../../../../src/adapters/postgres/pg-outbox.js';
import { PgUnitOfWork } from '../../../../src/adapters/postgres/pg-unit-of-work.js';
import { message } from '../pg-helpers.js';

/** Commits `total` rows in transactions of `chunk` (one `add` each); resolves to their ids, in order. */
export async function commitRows(
  pool: Pool,
  outbox: PgOutbox,
  route: { exchange: string; routingKey: string },
  total: number,
  chunk = 500,
): Promise<string[]> {
  const unitOfWork = new PgUnitOfWork({ pool });
  const ids: string[] = [];
  for (let start = 0; start < total; start += chunk) {
    const messages = Array.from({ length: Math.min(chunk, total - start) }, (_, index) =>
      message({ exchange: route.exchange, routingKey: route.routingKey, payload: { n: start + index } }),
    );
    await unitOfWork.transaction((client) => outbox.add(messages, client));
    ids.push(...messages.map((m) => m.id));
  }
  return ids;
}

/** Declares exchange → queue and consumes it, counting each message id (acked at once). */
export async function countingConsumer(
  transport: AmqpTransport,
  names: { exchange: string; queue: string; routingKey: string },
): Promise<Map<string, number>> {
  const { exchange, queue, routingKey } = names;
  await transport.declare({
    exchanges: [{ name: exchange, type: 'topic', durable: true }],
    queues: [{ name: queue, durable: true }],
    bindings: [{ queue, exchange, pattern: routingKey }],
  });
  const counts = new Map<string, number>();
  await transport.consume(
    queue,
    async (delivery: Delivery) => {
      const id = delivery.properties.messageId ?? '?';
      counts.set(id, (counts.get(id) ?? 0) + 1);
      delivery.ack();
    },
    { prefetch: 1000 },
  );
  return counts;
}

export interface RowStates {
  total: number;
  unpublished: number;
  /** Rows with at least one failed attempt recorded. */
  retried: number;
  maxAttempts: number;
}

export async function rowStates(pool: Pool, table: string): Promise<RowStates> {
  const { rows } = await pool.query<RowStates>(
    `SELECT count(*)::int AS total,
            (count(*) FILTER (WHERE published_at IS NULL))::int AS unpublished,
            (count(*) FILTER (WHERE attempts > 0))::int AS retried,
            coalesce(max(attempts), 0)::int AS "maxAttempts"
       FROM "${table}"`,
  );
  return rows[0]!;
}

/** Of `ids` (the rows committed): those never received, and how many extra copies arrived. */
export function deliveryReport(
  ids: readonly string[],
  counts: ReadonlyMap<string, number>,
): { lost: string[]; duplicates: number; duplicatedIds: number; strangers: string[] } {
  const known = new Set(ids);
  const lost: string[] = [];
  let duplicates = 0;
  let duplicatedIds = 0;
  for (const id of known) {
    const count = counts.get(id) ?? 0;
    if (count === 0) lost.push(id);
    duplicates += Math.max(0, count - 1);
    if (count > 1) duplicatedIds++;
  }
  /** Received, but not a row of this test: another test's message in the queue, or a corrupted id. */
  const strangers = [...counts.keys()].filter((id) => !known.has(id));
  return { lost, duplicates, duplicatedIds, strangers };
}

/** How many of `ids` arrived at least once. */
export function distinctReceived(ids: readonly string[], counts: ReadonlyMap<string, number>): number {
  let received = 0;
  for (const id of ids) if (counts.has(id)) received++;
  return received;
}

export const RELAY_CHILD = fileURLToPath(new URL('../../fixtures/outbox-relay-child.ts', import.meta.url));

/**
 * Bundles the relay child (test/integration/fixtures/outbox-relay-child.ts, with the library sources,
 * pg and amqplib) into one ES module in a temporary directory, so that a child starts in ~0.2 s of CPU
 * instead of ~1 s under `--import tsx`: the relay-killed test starts 50+ of them on a 2-core machine.
 * esbuild is the one tsx itself uses (tsx is a dev dependency; esbuild is its dependency).
 */
export async function bundleRelayChild(): Promise<{ file: string; dispose(): Promise<void> }> {
  const requireFromHere = createRequire(import.meta.url);
  const requireFromTsx = createRequire(requireFromHere.resolve('tsx/package.json'));
  const esbuild = requireFromTsx('esbuild') as typeof Esbuild;
  const dir = await mkdtemp(join(tmpdir(), 'tidings-relay-child-'));
  const file = join(dir, 'outbox-relay-child.mjs');
  await esbuild.build({
    entryPoints: [RELAY_CHILD],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: file,
    external: ['pg-native'],
    // CommonJS dependencies (pg, amqplib) call require() for Node's built-in modules.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    logLevel: 'error',
  });
  return { file, dispose: () => rm(dir, { recursive: true, force: true }) };
}
