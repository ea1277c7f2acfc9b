import { randomUUID } from 'node:crypto';
import amqplib, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { afterAll } from 'vitest';
import { AmqpTransport } from '../../src/rabbitmq.js';
import { RedisRepeatCounter } from '../../src/redis.js';
import { badInputCorpus, type CorpusContext } from '../bridge/bad-input-corpus.js';
import { deleteKeysUnder } from '../helpers/redis-keys.js';
import { AMQP_URL, REDIS_URL } from './servers.js';

/** Every repeat count of this file; deleted afterwards. */
const keyPrefix = `tidings-test:${randomUUID().slice(0, 8)}:`;

let context: CorpusContext | undefined;
let raw: { connection: ChannelModel; channel: ConfirmChannel } | undefined;

badInputCorpus(
  'RabbitMQ with the Redis repeat counter',
  async () => {
    if (context !== undefined) return context;
    // The raw publisher is a bare amqplib confirm channel: the transport would add a message id and
    // refuse what the broker refuses, and bad input must reach the consumer as another client sends it.
    const connection = await amqplib.connect(AMQP_URL);
    const channel = await connection.createConfirmChannel();
    raw = { connection, channel };
    context = {
      transport: new AmqpTransport({ url: AMQP_URL }),
      counter: new RedisRepeatCounter({
        url: REDIS_URL,
        keyPrefix,
      }),
      publishRaw: ({ exchange, routingKey, content, properties }) =>
        new Promise<void>((resolve, reject) => {
          channel.publish(
            exchange,
            routingKey,
            content,
            { ...properties, mandatory: true },
            (error: unknown) =>
              error ? reject(error instanceof Error ? error : new Error('nacked')) : resolve(),
          );
        }),
    };
    return context;
  },
  30_000,
);

afterAll(async () => {
  await raw?.channel.close().catch(() => {});
  await raw?.connection.close().catch(() => {});
  await context?.transport.close();
  await context?.counter.close();
  await deleteKeysUnder(REDIS_URL, keyPrefix);
});
