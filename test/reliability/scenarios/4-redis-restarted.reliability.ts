// Scenario 4: the Redis of the repeat counter is killed (kill -9) and started again, twice, while a
// Consumer works through 2,000 messages whose handler fails: 30% always (they must end dead-lettered as
// repeats-exhausted), the rest once. A restarted Redis without persistence has lost every count, and
// while it is down the counter is unavailable: the Consumer must count in the header meanwhile, warn,
// and still settle every message exactly once within maxAttempts + 2 deliveries.
import { Redis } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import {
  DeadLetters,
  Publisher,
  Consumer,
  waitQueueName,
  type RepeatCounter,
  type SettledOutcome,
  type ConsumerEvents,
} from '../../../src/index.js';
import { AmqpTransport } from '../../../src/rabbitmq.js';
import { RedisRepeatCounter } from '../../../src/redis.js';
import { Cleanups, sleep, tally, uniqueNames, waitFor } from '../../integration/faults/fault-helpers.js';
import { AMQP_URL } from '../../integration/servers.js';
import { figuresFrom, reportFigures } from '../figures.js';
import { adminTransport, medianAndMax, publishAll } from '../harness.js';
import { History, summarize } from '../history.js';
import { PrivateRedis } from '../private-redis.js';
import { sized } from '../size.js';

const TOTAL = sized(2_000, 500);
/** Paced so that the run lasts 10 s (CI: 6 s) and both restarts fall in the middle of it. */
const PER_SECOND = sized(200, 80);
const RESTARTS = 2;
/** How long Redis stays dead before it is started again. */
const DOWN_MS = 500;
const MAX_ATTEMPTS = 3;
const REPEAT_DELAYS_MS = [50, 100];
/** The handler always fails for ALWAYS_FAILING of every 10 messages, and fails once for the others. */
const ALWAYS_FAILING = 3;

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

/** The real counter, with the moments at which an increment succeeded: when counting works again. */
class WatchedCounter implements RepeatCounter {
  readonly succeededAt: number[] = [];

  constructor(readonly inner: RepeatCounter) {}

  async increment(queue: string, messageId: string): Promise<number> {
    const count = await this.inner.increment(queue, messageId);
    this.succeededAt.push(Date.now());
    return count;
  }

  forget(queue: string, messageId: string): Promise<void> {
    return this.inner.forget(queue, messageId);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

it(`${TOTAL} messages with failing handlers while the counter's Redis is restarted ${RESTARTS} times`, async () => {
  const { id, appId, queue, exchange, routingKey } = uniqueNames('rel4');
  const waitQueues = REPEAT_DELAYS_MS.map((delay) => waitQueueName(queue, delay));
  const redis = await PrivateRedis.start();
  cleanups.add(() => redis.kill());

  const transport = new AmqpTransport({ url: AMQP_URL, connectionName: `${id}-sub` });
  const admin = adminTransport(AMQP_URL, { id, appId, queue, exchange }, waitQueues, cleanups);
  cleanups.add(() => transport.close());
  const transportErrors: string[] = [];
  for (const each of [transport, admin]) each.on('error', (error) => transportErrors.push(error.message));

  const counter = new WatchedCounter(
    new RedisRepeatCounter({ url: redis.url, keyPrefix: `${id}:`, timeoutMs: 300 }),
  );
  cleanups.add(() => counter.close());
  const subscriber = new Consumer<{ index: number }>(transport, {
    queue,
    bindingKeys: [routingKey],
    appId,
    prefetch: 20,
    maxAttempts: MAX_ATTEMPTS,
    repeatDelaysMs: REPEAT_DELAYS_MS,
    repeatCounter: counter,
    repeatCounterTimeoutMs: 300,
  });
  cleanups.add(() => subscriber.close());

  // Where each message ended up: an ack or a dead letter is its receipt; every delivery settles once.
  const history = new History();
  const settled: SettledOutcome[] = [];
  const warnings: ConsumerEvents['warning'][0][] = [];
  const subscriberErrors: Error[] = [];
  subscriber.on('settled', (outcome) => {
    settled.push(outcome);
    if (outcome.outcome !== 'repeated') history.receive(outcome.messageId);
  });
  subscriber.on('warning', (warning) => warnings.push(warning));
  subscriber.on('error', (error) => subscriberErrors.push(error));

  const handlerRuns = new Map<string, number>();
  const alwaysFails = (index: number) => index % 10 < ALWAYS_FAILING;
  await subscriber.consume(({ messageId, payload }) => {
    const runs = (handlerRuns.get(messageId) ?? 0) + 1;
    handlerRuns.set(messageId, runs);
    if (alwaysFails(payload.index)) throw new Error('always fails');
    if (runs === 1) throw new Error('fails the first time');
  });

  const publisher = new Publisher(admin, { appId });
  const ids = Array.from({ length: TOTAL }, (_, index) => `${id}-m${index}`);
  const indexOf = new Map(ids.map((messageId, index) => [messageId, index]));
  const startedAt = Date.now();
  const publishing = publishAll(
    ids,
    history,
    (messageId) => publisher.send({ index: indexOf.get(messageId)! }, routingKey, { messageId }),
    { concurrency: 20, perSecond: PER_SECOND },
  );

  // The restarts, early enough in the run that traffic is still flowing when the counter comes back.
  const publishMs = (TOTAL * 1000) / PER_SECOND;
  const restarts: { killedAt: number; readyAt: number; warningsBefore: number }[] = [];
  for (let restart = 1; restart <= RESTARTS; restart++) {
    await sleep(startedAt + (restart * publishMs) / (RESTARTS + 2) - Date.now());
    const warningsBefore = warnings.length;
    const killedAt = Date.now();
    await redis.kill();
    await sleep(DOWN_MS);
    await redis.restart();
    restarts.push({ killedAt, readyAt: Date.now(), warningsBefore });
  }
  await publishing;

  await waitFor(() => history.allOkReceived, 120_000, 'every message to be acked or dead-lettered');
  await waitFor(
    async () => {
      for (const name of [queue, ...waitQueues])
        if ((await admin.queueStats(name))?.messageCount !== 0) return false;
      return true;
    },
    60_000,
    'the queue and the wait queues to be empty',
  );
  await sleep(500); // a message settled twice would show now
  const deadLetters = await new DeadLetters(admin, { appId }).list();
  const stats = await Promise.all([queue, ...waitQueues].map((name) => admin.queueStats(name)));
  const result = history.check();
  // Counts the Consumer could not forget (Redis was down when the message settled) stay until their TTL.
  const probe = new Redis(redis.url);
  const keysLeft = await probe.dbsize();
  await probe.quit();

  // Counting works again once an increment succeeds after the restart.
  const recoveryMs = restarts.map(({ readyAt }) => {
    const first = counter.succeededAt.find((at) => at >= readyAt);
    return first === undefined ? Infinity : first - readyAt;
  });
  const deliveries = tally(settled.map((s) => s.messageId));
  const maxDeliveries = Math.max(...deliveries.values());
  const maxRuns = Math.max(...handlerRuns.values());
  const final = new Map(settled.filter((s) => s.outcome !== 'repeated').map((s) => [s.messageId, s]));
  const expectedDead = ids.filter((_, index) => alwaysFails(index));
  const deliveryCounts = Object.fromEntries(tally([...deliveries.values()].map(String)));

  reportFigures({
    scenario: '4-redis-restarted',
    size:
      `${TOTAL} messages at ${PER_SECOND}/s, ${ALWAYS_FAILING * 10}% always failing, the rest failing once ` +
      `(maxAttempts ${MAX_ATTEMPTS}); the repeat counter's Redis killed (-9) and restarted empty ` +
      `${RESTARTS}×, down ${DOWN_MS} ms each`,
    ...figuresFrom(result),
    // From each restarted Redis accepting connections until the Consumer's counter counted again.
    recoveryMs: medianAndMax(recoveryMs),
    notes:
      `deliveries per message at most ${maxDeliveries} (${JSON.stringify(deliveryCounts)}), handler runs ` +
      `at most ${maxRuns}; counter warnings ${warnings.length}; recovery per restart ${recoveryMs.join(', ')} ms; ` +
      `dead letters ${deadLetters.length} (expected ${expectedDead.length}); counts left in Redis ${keysLeft}`,
  });
  console.info(`[reliability 4] ${summarize(result)}; restarts ${JSON.stringify(restarts)}`);

  expect(result.ok).toBe(TOTAL);
  expect(result.lost).toEqual([]);
  expect(result.phantom).toEqual([]);
  // Settled once: one ack or one dead letter per message, never both, never two.
  expect(result.duplicated).toBe(0);
  expect(subscriberErrors).toEqual([]);
  expect(transportErrors).toEqual([]);
  for (const [messageId, count] of deliveries)
    expect(count, `deliveries of ${messageId}`).toBeLessThanOrEqual(MAX_ATTEMPTS + 2);
  for (const [messageId, runs] of handlerRuns)
    expect(runs, `handler runs of ${messageId}`).toBeLessThanOrEqual(MAX_ATTEMPTS + 2);
  // The always-failing ones are dead-lettered as repeats-exhausted, the others acked.
  const wrongEnd = ids.filter((messageId, index) => {
    const end = final.get(messageId);
    return alwaysFails(index)
      ? end?.outcome !== 'dead-lettered' || end.reason !== 'repeats-exhausted'
      : end?.outcome !== 'acked';
  });
  expect(wrongEnd).toEqual([]);
  expect(deadLetters.map((d) => d.messageId).sort()).toEqual([...expectedDead].sort());
  expect(new Set(deadLetters.map((d) => d.reason))).toEqual(new Set(['repeats-exhausted']));
  for (const stat of stats) expect(stat).toMatchObject({ messageCount: 0 });
  // The restarts were felt, only as an unavailable counter, and counting came back after each.
  expect(restarts).toHaveLength(RESTARTS);
  // Each outage is one warning when counting failed and one when it came back, not one per delivery.
  for (const [index, restart] of restarts.entries()) {
    const next = restarts[index + 1]?.warningsBefore ?? warnings.length;
    expect(
      warnings.slice(restart.warningsBefore, next).map((warning) => warning.code),
      `warnings after restart ${index + 1}`,
    ).toEqual(['repeat-counter-unavailable', 'repeat-counter-restored']);
  }
  expect(recoveryMs.every(Number.isFinite)).toBe(true);
});
