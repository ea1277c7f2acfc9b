// The broker side of the AMQP benchmarks, used by the parent process only: unique names for everything
// a run declares (and their deletion at the end), and the admin connection that declares, pre-fills,
// purges and inspects queues. Never a connection a case is measured on.
import amqplib from 'amqplib';
import type { ChannelModel, ConfirmChannel } from 'amqplib';
import { randomBytes } from 'node:crypto';
import { AMQP_URL, CONFIRM_WINDOW, jsonBody, persistent, pump, REDIS_URL } from './harness.js';

// ---------------------------------------------------------------------------------------------------
// Names: unique per run, all recorded so that the run can delete them at the end.

export class Names {
  /** e.g. `tbench-m3k9x2-a1b2`: no dots, so it can be a routing key's first part (an exchange). */
  readonly prefix: string;
  readonly queues = new Set<string>();
  readonly exchanges = new Set<string>();
  /** Queues whose Redis repeat-counter keys must be removed. */
  readonly counterQueues = new Set<string>();

  constructor() {
    this.prefix = `tbench-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
  }

  /** A queue name of this run, recorded for deletion. */
  queue(suffix: string): string {
    const name = `${this.prefix}.${suffix}`;
    this.queues.add(name);
    return name;
  }

  /** Another exchange of this run, recorded for deletion. */
  otherExchange(suffix: string): string {
    const name = `${this.prefix}.${suffix}`;
    this.exchanges.add(name);
    return name;
  }

  /** The topic exchange every publishing case uses (also the Consumers' route exchange). */
  get exchange(): string {
    this.exchanges.add(this.prefix);
    return this.prefix;
  }

  /** The Consumers' appId: they declare `<appId>.dead-letter` and `<appId>.dead-letters`. */
  get appId(): string {
    this.exchanges.add(`${this.prefix}.dead-letter`);
    this.queues.add(`${this.prefix}.dead-letters`);
    return this.prefix;
  }
}

// ---------------------------------------------------------------------------------------------------
// Admin: one raw amqplib connection of the harness itself, never one a case is measured on.

export class Admin {
  private constructor(
    private readonly connection: ChannelModel,
    private readonly channel: ConfirmChannel,
  ) {}

  static async open(): Promise<Admin> {
    const connection = await amqplib.connect(AMQP_URL, {
      clientProperties: { connection_name: 'bench-admin' },
    });
    connection.on('error', () => {});
    const channel = await connection.createConfirmChannel();
    channel.on('error', () => {});
    return new Admin(connection, channel);
  }

  /** e.g. `RabbitMQ 3.10.8`. */
  get server(): string {
    const properties = this.connection.connection.serverProperties;
    return `${properties.product} ${properties.version}`;
  }

  async queue(name: string, args: Record<string, unknown> = {}): Promise<void> {
    await this.channel.assertQueue(name, { durable: true, arguments: args });
  }

  async exchange(name: string, type: 'topic' | 'fanout' = 'topic'): Promise<void> {
    await this.channel.assertExchange(name, type, { durable: true });
  }

  async bind(queue: string, exchange: string, pattern: string): Promise<void> {
    await this.channel.bindQueue(queue, exchange, pattern);
  }

  async purge(queue: string): Promise<void> {
    await this.channel.purgeQueue(queue);
  }

  async messageCount(queue: string): Promise<number> {
    return (await this.channel.checkQueue(queue)).messageCount;
  }

  /**
   * Publishes `count` 200-byte JSON messages, persistent, with ids `<idPrefix><n>`, confirmed with a
   * window of 1000, straight to `queue` (default exchange) or to every queue bound to a fanout
   * `exchange`; resolves when all are confirmed.
   */
  async fill(
    target: { queue: string } | { exchange: string },
    count: number,
    idPrefix: string,
  ): Promise<void> {
    const [exchange, routingKey] = 'queue' in target ? ['', target.queue] : [target.exchange, ''];
    let next = 0;
    await pump({ window: CONFIRM_WINDOW, total: count }, (done) => {
      const seq = next++;
      this.channel.publish(exchange, routingKey, jsonBody(seq), persistent(`${idPrefix}${seq}`), done);
    });
  }

  /** Deletes everything the run declared, and the Redis counter keys of its queues. Never throws. */
  static async cleanUp(names: Names, log: (line: string) => void): Promise<void> {
    let connection: ChannelModel | undefined;
    try {
      connection = await amqplib.connect(AMQP_URL, {
        clientProperties: { connection_name: 'bench-cleanup' },
      });
      connection.on('error', () => {});
      for (const queue of names.queues) {
        const channel = await connection.createChannel();
        channel.on('error', () => {});
        await channel.deleteQueue(queue).catch(() => {});
        await channel.close().catch(() => {});
      }
      for (const exchange of names.exchanges) {
        const channel = await connection.createChannel();
        channel.on('error', () => {});
        await channel.deleteExchange(exchange).catch(() => {});
        await channel.close().catch(() => {});
      }
      log(`cleanup: deleted ${names.queues.size} queues and ${names.exchanges.size} exchanges`);
    } catch (error) {
      log(`cleanup FAILED (delete queues/exchanges starting with ${names.prefix}): ${String(error)}`);
    } finally {
      await connection?.close().catch(() => {});
    }
    if (names.counterQueues.size > 0) await deleteCounterKeys(names, log);
  }

  async close(): Promise<void> {
    await this.channel.close().catch(() => {});
    await this.connection.close().catch(() => {});
  }
}

async function deleteCounterKeys(names: Names, log: (line: string) => void): Promise<void> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  try {
    await redis.connect();
    let deleted = 0;
    for (const queue of names.counterQueues) {
      // The key layout of RedisRepeatCounter's default prefix: `tidings:attempts:<queue>:<messageId>`.
      const stream = redis.scanStream({
        match: `tidings:attempts:${encodeURIComponent(queue)}:*`,
        count: 1000,
      });
      for await (const keys of stream as AsyncIterable<string[]>) {
        if (keys.length > 0) deleted += await redis.del(...keys);
      }
    }
    log(`cleanup: deleted ${deleted} leftover Redis counter keys`);
  } catch (error) {
    log(`cleanup of Redis keys FAILED: ${String(error)}`);
  } finally {
    redis.disconnect();
  }
}
