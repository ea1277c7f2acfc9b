// Redis (the repeat counter) goes away while a Consumer repeats failing messages: the subscriber must
// fall back to the attempt header, warn, never crash or loop, and still dead-letter every message after
// maxAttempts; once Redis is back, deliveries are counted in Redis again.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import { repeatCounterKey } from '../../../src/messaging/names.js';
import {
  DeadLetters,
  Publisher,
  Consumer,
  waitQueueName,
  type SettledOutcome,
  type ConsumerEvents,
} from '../../../src/index.js';
import { AmqpTransport } from '../../../src/rabbitmq.js';
import { RedisRepeatCounter } from '../../../src/redis.js';
import { AMQP_URL, REDIS_URL } from '../servers.js';
import { Cleanups, proxyTo, tally, uniqueNames, waitFor } from './fault-helpers.js';

const MESSAGES = 20;
const MAX_ATTEMPTS = 3;
const DELAY_MS = 30;
/** Handler runs after which Redis becomes unreachable. */
const PAUSE_AFTER = 10;

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

it('Redis down mid-stream: warnings, header counting, every message dead-lettered; counting resumes', async () => {
  const { appId, queue, exchange, routingKey } = uniqueNames('redis');
  const { proxy, url: redisUrl } = await proxyTo(REDIS_URL, 6379);
  cleanups.add(() => proxy.close());

  const transport = new AmqpTransport({ url: AMQP_URL, connectionName: `${exchange}-subscriber` });
  cleanups.add(() => transport.close());
  cleanups.add(async () => {
    for (const name of [queue, waitQueueName(queue, DELAY_MS), `${appId}.dead-letters`])
      await transport.deleteQueue(name).catch(() => {});
    for (const name of [exchange, `${appId}.dead-letter`])
      await transport.deleteExchange(name).catch(() => {});
  });
  const transportErrors: Error[] = [];
  transport.on('error', (error) => transportErrors.push(error));

  const keyPrefix = `tidings-test:faults:${randomUUID().slice(0, 8)}:`;
  const counter = new RedisRepeatCounter({ url: redisUrl, keyPrefix, timeoutMs: 300 });
  cleanups.add(() => counter.close());
  const admin = new Redis(REDIS_URL);
  cleanups.add(async () => {
    const keys = await admin.keys(`${keyPrefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });

  const subscriber = new Consumer(transport, {
    queue,
    bindingKeys: [routingKey],
    appId,
    maxAttempts: MAX_ATTEMPTS,
    repeatDelaysMs: [DELAY_MS],
    repeatCounter: counter,
    repeatCounterTimeoutMs: 300,
  });
  cleanups.add(() => subscriber.close());
  const settled: SettledOutcome[] = [];
  const warnings: ConsumerEvents['warning'][0][] = [];
  const subscriberErrors: Error[] = [];
  subscriber.on('settled', (outcome) => settled.push(outcome));
  subscriber.on('warning', (warning) => warnings.push(warning));
  subscriber.on('error', (error) => subscriberErrors.push(error));

  /** Per message: the attempt of each handler run, and what Redis held for it at that moment. */
  const runs = new Map<string, { attempt: number; inRedis: string | null }[]>();
  let handlerRuns = 0;
  let pausedAt = 0;
  let readRedis = false;
  await subscriber.consume(async ({ messageId, attempt }) => {
    const inRedis = readRedis ? await admin.get(repeatCounterKey(keyPrefix, queue, messageId)) : null;
    runs.set(messageId, [...(runs.get(messageId) ?? []), { attempt, inRedis }]);
    if (++handlerRuns === PAUSE_AFTER) {
      pausedAt = Date.now();
      proxy.pause(); // Redis unreachable: open connections cut, new ones refused
    }
    throw new Error(`always failing (${attempt})`);
  });

  const publisher = new Publisher(transport, { appId });
  const ids: string[] = [];
  for (let index = 0; index < MESSAGES; index++) {
    ids.push((await publisher.send({ index }, routingKey)).messageId);
  }
  const deadOf = () => settled.filter((s) => s.outcome === 'dead-lettered');
  await waitFor(() => deadOf().length >= MESSAGES, 30_000, 'every message to be dead-lettered');
  expect(pausedAt).toBeGreaterThan(0);

  const deadLetters = await new DeadLetters(transport, { appId }).list();
  const perMessage = ids.map((id) => runs.get(id)?.length ?? 0);
  console.info(
    `[redis-down] ${MESSAGES} messages, ${handlerRuns} handler runs; runs per message ` +
      `${JSON.stringify(Object.fromEntries(tally(perMessage.map(String))))}; warnings ${warnings.length}; ` +
      `dead letters ${deadLetters.length} (${[...new Set(deadLetters.map((d) => d.reason))].join(',')})`,
  );

  // One warning for the whole outage, however many deliveries failed to count.
  expect(warnings.map((warning) => warning.code)).toEqual(['repeat-counter-unavailable']);
  expect(subscriberErrors).toEqual([]);
  expect(transportErrors).toEqual([]);
  for (const count of perMessage) {
    expect(count).toBeGreaterThanOrEqual(1);
    expect(count).toBeLessThanOrEqual(MAX_ATTEMPTS + 2);
  }
  // Each message is dead-lettered exactly once, as repeats-exhausted; nothing is left anywhere else.
  expect(deadLetters.map((d) => d.messageId).sort()).toEqual([...ids].sort());
  expect(new Set(deadLetters.map((d) => d.reason))).toEqual(new Set(['repeats-exhausted']));
  expect(
    deadOf()
      .map((s) => s.messageId)
      .sort(),
  ).toEqual([...ids].sort());
  expect((await transport.queueStats(queue))?.messageCount).toBe(0);
  expect((await transport.queueStats(waitQueueName(queue, DELAY_MS)))?.messageCount).toBe(0);

  // Redis is back: the counter reconnects on its own and deliveries are counted in Redis again.
  proxy.resume();
  const resumedAt = Date.now();
  await waitFor(
    () =>
      counter.increment(queue, 'probe').then(
        () => true,
        () => false,
      ),
    10_000,
    'the counter to reconnect',
  );
  const reconnectMs = Date.now() - resumedAt;
  await counter.forget(queue, 'probe');
  const warningsBefore = warnings.length;
  readRedis = true;
  const { messageId: afterId } = await publisher.send({ after: true }, routingKey);
  await waitFor(() => deadOf().some((s) => s.messageId === afterId), 10_000, 'the last dead letter');
  console.info(
    `[redis-down] counter back ${reconnectMs} ms after Redis; last message: ${JSON.stringify(runs.get(afterId))}`,
  );
  expect(runs.get(afterId)).toEqual([
    { attempt: 1, inRedis: '1' },
    { attempt: 2, inRedis: '2' },
    { attempt: 3, inRedis: '3' },
  ]);
  // The first delivery counted again says so, once, with the tally of the outage.
  expect(warnings.slice(warningsBefore)).toEqual([
    {
      code: 'repeat-counter-restored',
      message: expect.stringMatching(
        /^Repeat counter available again after \d+ failed call\(s\) over \d+ ms$/,
      ),
      error: undefined,
    },
  ]);
  // Dead-lettering forgot the message in Redis.
  expect(await admin.exists(repeatCounterKey(keyPrefix, queue, afterId))).toBe(0);
});
