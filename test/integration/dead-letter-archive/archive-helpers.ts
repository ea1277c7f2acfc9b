// Shared by the dead-letter archive tests: a consuming service whose handler fails until it is fixed, so
// its messages end in the application's dead-letter queue; a unique archive table; cleanup.
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { Publisher, Consumer, type MessageProperties, type SettledOutcome } from '../../../src/index.js';
import { AmqpTransport } from '../../../src/rabbitmq.js';
import { PgDeadLetterArchive, type PgDeadLetterArchiveOptions } from '../../../src/postgres.js';
import type { Cleanups } from '../faults/fault-helpers.js';
import { waitFor } from '../faults/fault-helpers.js';
import { createPool, uniqueName } from '../outbox/pg-helpers.js';
import { AMQP_URL } from '../servers.js';

export const MAX_ATTEMPTS = 3;

export interface Scene {
  id: string;
  appId: string;
  queue: string;
  routingKey: string;
  deadLetterQueue: string;
  table: string;
  pool: Pool;
  transport: AmqpTransport;
  settled: SettledOutcome[];
  /** Every run of the handler: message id, attempt, and whether it succeeded. */
  handled: { messageId: string; attempt: number; ok: boolean }[];
  /** From now on the handler succeeds (or fails again). */
  fix(fixed?: boolean): void;
  /** Publishes JSON payloads and waits until each has been dead-lettered; resolves to their message ids. */
  deadLetter(...payloads: unknown[]): Promise<string[]>;
  /** Publishes a raw body to the consumed queue's exchange and waits until it has been dead-lettered. */
  deadLetterRaw(content: Buffer, properties: MessageProperties & { messageId: string }): Promise<void>;
  /** Waits until `messageId` has been dead-lettered `times` times in all. */
  deadLettered(messageId: string, times?: number): Promise<number>;
  archive(options?: Partial<PgDeadLetterArchiveOptions>): PgDeadLetterArchive;
  deadLetterCount(): Promise<number>;
}

/** Everything it creates (queues, exchanges, the table, connections) is removed by `cleanups`. */
export async function scene(cleanups: Cleanups, label: string): Promise<Scene> {
  const id = `dla-${label}-${randomUUID().slice(0, 8)}`;
  const appId = `${id}-app`;
  const queue = `${id}.queue`;
  const routingKey = `${id}.made`;
  const table = uniqueName('tidings_dead_letters');
  const pool = createPool();
  const transport = new AmqpTransport({ url: AMQP_URL });
  const subscriber = new Consumer(transport, {
    appId,
    queue,
    bindingKeys: [routingKey],
    maxAttempts: MAX_ATTEMPTS,
    repeatDelaysMs: [],
  });
  const settled: SettledOutcome[] = [];
  const handled: Scene['handled'] = [];
  let fixed = false;
  subscriber.on('settled', (outcome) => settled.push(outcome));
  cleanups.add(() => pool.end());
  cleanups.add(() => transport.close());
  cleanups.add(() => pool.query(`DROP TABLE IF EXISTS "public"."${table}"`));
  cleanups.add(async () => {
    for (const name of [queue, `${appId}.dead-letters`]) await transport.deleteQueue(name);
    for (const name of [id, `${appId}.dead-letter`]) await transport.deleteExchange(name);
  });
  cleanups.add(() => subscriber.close());
  await subscriber.consume(({ messageId, attempt, payload }) => {
    handled.push({ messageId, attempt, ok: fixed });
    if (!fixed) throw new Error(`boom ${JSON.stringify(payload)}`);
  });
  const publisher = new Publisher(transport);
  const deadLettered = (messageId: string, times = 1) =>
    waitFor(
      () => {
        const count = settled.filter(
          (outcome) => outcome.outcome === 'dead-lettered' && outcome.messageId === messageId,
        ).length;
        return count >= times ? count : undefined;
      },
      20_000,
      `the dead-lettering of ${messageId}`,
    );
  return {
    id,
    appId,
    queue,
    routingKey,
    deadLetterQueue: `${appId}.dead-letters`,
    table,
    pool,
    transport,
    settled,
    handled,
    fix: (value = true) => {
      fixed = value;
    },
    deadLetter: async (...payloads) => {
      const ids: string[] = [];
      for (const payload of payloads) ids.push((await publisher.send(payload, routingKey)).messageId);
      for (const messageId of ids) await deadLettered(messageId);
      return ids;
    },
    deadLetterRaw: async (content, properties) => {
      await transport.publish({ exchange: id, routingKey, content, properties });
      await deadLettered(properties.messageId);
    },
    deadLettered,
    archive: (options = {}) => new PgDeadLetterArchive({ pool, transport, appId, table, ...options }),
    deadLetterCount: async () => (await transport.queueStats(`${appId}.dead-letters`))?.messageCount ?? 0,
  };
}
