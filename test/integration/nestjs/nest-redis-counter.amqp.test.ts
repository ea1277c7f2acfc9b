// The Nest module with RedisRepeatCounter on RabbitMQ and the local Redis: two instances of one service
// (two Nest applications) consume the same queue with one counter, so a message that fails on one and
// comes back to the other keeps counting: repeated, then dead-lettered once at maxAttempts
// (`repeats-exhausted`), its count forgotten in Redis; the next message is acked once.
import { randomUUID } from 'node:crypto';
import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import {
  Bridge,
  DeadLetters,
  Publisher,
  type ConsumedMessage,
  type SettledOutcome,
} from '../../../src/index.js';
import { Consume, TidingsModule } from '../../../src/nestjs.js';
import { AmqpTransport } from '../../../src/rabbitmq.js';
import { RedisRepeatCounter } from '../../../src/redis.js';
import { deleteDeclared, subscriberNames } from '../../helpers/declared-names.js';
import { waitFor } from '../../nestjs/nest-fixtures.js';
import { AMQP_URL, REDIS_URL } from '../servers.js';

const id = `t${randomUUID().slice(0, 8)}`;
const appId = `${id}-app`;
const queue = `${id}.queue`;
const routingKey = `${id}.placed`;
const keyPrefix = `${id}:attempts:`;
const apps: INestApplicationContext[] = [];
const counters: RedisRepeatCounter[] = [];
const redis = new Redis(REDIS_URL, { lazyConnect: true });

afterAll(async () => {
  for (const app of apps) await app.close();
  for (const counter of counters) await counter.close();
  const cleaner = new AmqpTransport({ url: AMQP_URL });
  await deleteDeclared(
    cleaner,
    subscriberNames({ queue, bindingKeys: [routingKey], appId, repeatDelaysMs: [30] }),
  );
  await cleaner.close();
  const left = await redis.keys(`${keyPrefix}*`);
  if (left.length > 0) await redis.del(...left);
  redis.disconnect();
});

/** One instance of the billing service: its own connection and counter client, the shared Redis keys. */
async function instance(name: string, runs: string[]): Promise<INestApplicationContext> {
  @Injectable()
  class Billing {
    @Consume<{ orderId: string }>({
      queue,
      bindingKeys: [routingKey],
      maxAttempts: 3,
      repeatDelaysMs: [30],
      prefetch: 1,
    })
    charge(order: { orderId: string }, message: ConsumedMessage): void {
      runs.push(`${name} ${order.orderId} attempt ${message.attempt}`);
      if (order.orderId === 'o-bad') throw new Error('card declined');
    }
  }
  const counter = new RedisRepeatCounter({ url: REDIS_URL, keyPrefix });
  counters.push(counter);
  @Module({
    imports: [
      TidingsModule.forRoot({
        transport: () => new AmqpTransport({ url: AMQP_URL }),
        appId,
        repeatCounter: counter,
      }),
    ],
    providers: [Billing],
  })
  class AppModule {}
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
  apps.push(app);
  return app;
}

it('two instances share the Redis count: a failing message is dead-lettered once at maxAttempts', async () => {
  const runs: string[] = [];
  const settled: SettledOutcome[] = [];
  for (const name of ['a', 'b']) {
    const app = await instance(name, runs);
    app.get(Bridge).on('settled', (outcome) => settled.push(outcome));
  }
  const sender = new AmqpTransport({ url: AMQP_URL });
  const publisher = new Publisher(sender, { appId: `${appId}-sender` });
  const bad = await publisher.send({ orderId: 'o-bad' }, routingKey);
  await waitFor(() => settled.some((s) => s.outcome === 'dead-lettered'), 10_000, 'the dead letter');
  const good = await publisher.send({ orderId: 'o-good' }, routingKey);
  await waitFor(() => settled.some((s) => s.messageId === good.messageId), 10_000, 'the next message');

  const ofBad = settled.filter((s) => s.messageId === bad.messageId);
  expect(ofBad.map((s) => [s.outcome, s.attempt])).toEqual([
    ['repeated', 1],
    ['repeated', 2],
    ['dead-lettered', 3],
  ]);
  expect(settled.filter((s) => s.messageId === good.messageId).map((s) => s.outcome)).toEqual(['acked']);
  expect(runs.filter((run) => run.includes('o-bad'))).toHaveLength(3);
  const [deadLetter, ...others] = await new DeadLetters(sender, { appId }).list();
  expect(others).toEqual([]);
  expect(deadLetter).toMatchObject({
    messageId: bad.messageId,
    reason: 'repeats-exhausted',
    attempts: 3,
    queue,
  });
  // Dead-lettered and acked messages are forgotten: no count is left behind in Redis.
  await redis.connect();
  expect(await redis.keys(`${keyPrefix}*`)).toEqual([]);
  await sender.close();
});
