// Scenario 8: a soak. One service process publishes 500 messages per second with confirms and consumes
// them (Redis repeat counter; one message in 50 fails its first attempt, so the repeat path runs all
// along) for 20 minutes (CI: 30 s; RELIABILITY_SOAK_MS overrides both). Every few seconds it collects
// garbage and reports its memory. Nothing may be lost, and the heap must not grow.
//
// The heap check: samples of the first `WARM_UP_MS` are dropped (connections, JIT, pools settle), the rest
// is cut in thirds, and the median heapUsed (after a full gc()) of the last third may exceed that of the
// first third by `HEAP_TOLERANCE_BYTES` at most. Why that catches a real leak within the CI duration: a
// handler that retains each message (1 KB × 500 messages/s) grows the heap by 500 KB/s. In the CI run
// (30 s, 5 s of warm-up, samples every second) the two medians are about (30 − 5) × 2/3 ≈ 16 s apart,
// so that leak adds ≈ 8 MB between them, twice the 4 MB tolerance; the test checks this arithmetic
// for the duration it actually ran (`referenceLeakGrowth`). The full run (2 minutes of warm-up, medians
// 12 minutes apart) would see that leak as ≈ 350 MB, and any leak above ≈ 12 bytes per message as more
// than 4 MB. Without a leak, heapUsed after gc() moved by a few hundred KB at most (+9 KB over the full
// 20 minutes, +0.2 MB in CI runs). To watch the check fail, run with RELIABILITY_SOAK_LEAK_BYTES=1024:
// the child then retains 1 KB per message, and the CI-size run fails with heapUsed +9 MB.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import { DeadLetters, waitQueueName } from '../../../src/index.js';
import { Cleanups, uniqueNames, waitFor } from '../../integration/faults/fault-helpers.js';
import { AMQP_URL, REDIS_URL } from '../../integration/servers.js';
import { startChild } from '../child-process.js';
import { figuresFrom, reportFigures } from '../figures.js';
import { History, summarize, type Outcome } from '../history.js';
import { adminTransport } from '../harness.js';
import { sized } from '../size.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/soak-service.ts', import.meta.url));
const DURATION_MS = Number(process.env['RELIABILITY_SOAK_MS'] ?? sized(20 * 60_000, 30_000));
const RATE = 500;
const FAIL_EVERY = 50;
/** Every second in short runs, every 5 s from 5 minutes on: 30 (CI) to 240 (full) samples. */
const SAMPLE_MS = DURATION_MS >= 5 * 60_000 ? 5000 : 1000;
const WARM_UP_MS = Math.max(5000, DURATION_MS / 10);
const HEAP_TOLERANCE_BYTES = 4 * 1024 * 1024;
/** The leak the heap check must catch: each message retained, at 1 KB. */
const REFERENCE_LEAK_BYTES_PER_MESSAGE = 1024;
/**
 * RSS includes the heap's reserved but unused pages, malloc arenas and socket buffers, which the
 * allocator returns to the OS at its own pace: it may move by tens of MB without a leak. Growing by more
 * than this between the first and the last third is growth without bound at this rate.
 */
const RSS_TOLERANCE_BYTES = 64 * 1024 * 1024;

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

interface Sample {
  t: number;
  heapUsed: number;
  rss: number;
  published: number;
  acked: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

it(`a ${Math.round(DURATION_MS / 1000)} s soak at ${RATE} messages/s: nothing lost, the heap does not grow`, async () => {
  const { id, appId, queue, routingKey, exchange } = uniqueNames('rel8');
  const keyPrefix = `tidings-test:soak:${randomUUID().slice(0, 8)}:`;
  const admin = adminTransport(
    AMQP_URL,
    { id, appId, queue, exchange },
    [waitQueueName(queue, 100)],
    cleanups,
  );
  cleanups.add(async () => {
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  const history = new History();
  const samples: Sample[] = [];
  let done: Record<string, number> | undefined;
  /** Received messages of those that fail their first attempt: each must have been repeated once. */
  let failingOnceReceived = 0;
  const record = (indexes: number[], outcome: Outcome) => {
    for (const index of indexes) history.record(String(index), outcome);
  };
  const child = startChild(
    FIXTURE,
    {
      SOAK_AMQP_URL: AMQP_URL,
      SOAK_REDIS_URL: REDIS_URL,
      SOAK_KEY_PREFIX: keyPrefix,
      SOAK_QUEUE: queue,
      SOAK_ROUTING_KEY: routingKey,
      SOAK_APP_ID: appId,
      SOAK_DURATION_MS: String(DURATION_MS),
      SOAK_RATE: String(RATE),
      SOAK_SAMPLE_MS: String(SAMPLE_MS),
      SOAK_FAIL_EVERY: String(FAIL_EVERY),
      SOAK_LEAK_BYTES: process.env['RELIABILITY_SOAK_LEAK_BYTES'] ?? '0',
    },
    (line) => {
      const message = JSON.parse(line) as { type: string } & Record<string, unknown>;
      if (message.type === 'progress') {
        record(message['ok'] as number[], 'ok');
        record(message['unknown'] as number[], 'unknown');
        record(message['failed'] as number[], 'failed');
        for (const index of message['acked'] as number[]) {
          history.receive(String(index));
          if (index % FAIL_EVERY === 0) failingOnceReceived++;
        }
      } else if (message.type === 'sample') samples.push(message as unknown as Sample);
      else if (message.type === 'done') done = message as unknown as Record<string, number>;
    },
    ['--expose-gc'],
  );
  cleanups.add(() => {
    if (child.exit === undefined) child.process.kill('SIGKILL');
  });
  const exit = await waitFor(() => child.exit, DURATION_MS + 180_000, 'the soak to end');
  expect(exit, child.output).toEqual({ code: 0, signal: null });
  expect(done, child.output).toBeDefined();

  const result = history.check();
  const deadLetters = await new DeadLetters(admin, { appId }).list();
  const stats = await admin.queueStats(queue);

  const steady = samples.filter((sample) => sample.t >= WARM_UP_MS);
  const third = Math.floor(steady.length / 3);
  const first = steady.slice(0, third);
  const lastThird = steady.slice(steady.length - third);
  const heapFirst = median(first.map((sample) => sample.heapUsed));
  const heapLast = median(lastThird.map((sample) => sample.heapUsed));
  const rssFirst = median(first.map((sample) => sample.rss));
  const rssLast = median(lastThird.map((sample) => sample.rss));
  // How far apart the two medians are, and what the reference leak would have added in that time.
  const medianGapMs = median(lastThird.map((s) => s.t)) - median(first.map((s) => s.t));
  const achievedRate = (done!['published']! * 1000) / done!['publishMs']!;
  const referenceLeakGrowth = REFERENCE_LEAK_BYTES_PER_MESSAGE * achievedRate * (medianGapMs / 1000);

  reportFigures({
    scenario: '8-soak',
    size: `${DURATION_MS >= 60_000 ? `${Math.round(DURATION_MS / 60_000)} min` : `${Math.round(DURATION_MS / 1000)} s`} at ${RATE} messages/s, publisher and consumer in one process (Redis repeat counter, 1 in ${FAIL_EVERY} failing once)`,
    ...figuresFrom(result),
    notes:
      `heapUsed after gc ${mb(heapFirst)} → ${mb(heapLast)} (${heapLast >= heapFirst ? '+' : ''}${((heapLast - heapFirst) / 1024).toFixed(0)} KB, ` +
      `tolerance ${mb(HEAP_TOLERANCE_BYTES)}; a 1 KB/message leak would add ${mb(referenceLeakGrowth)}); ` +
      `rss ${mb(rssFirst)} → ${mb(rssLast)}; ${done!['published']} published (${achievedRate.toFixed(0)}/s), ` +
      `${result.received} received, ${done!['repeated']} repeated; ${samples.length} samples`,
  });
  console.info(
    `[reliability 8] ${summarize(result)}; done ${JSON.stringify(done)}; heap samples (MB) ` +
      samples.map((sample) => (sample.heapUsed / 1024 / 1024).toFixed(1)).join(' '),
  );

  expect(result.lost).toEqual([]);
  expect(result.phantom).toEqual([]);
  expect(result.duplicated).toBe(0);
  expect(result.ok).toBeGreaterThan(0.9 * RATE * (DURATION_MS / 1000)); // the load was really there
  // The repeat path ran: each failing-once message was repeated once, and then acked.
  expect(failingOnceReceived).toBeGreaterThan(0);
  expect(done!['repeated']).toBe(failingOnceReceived);
  expect(done!['deadLettered']).toBe(0);
  expect(deadLetters).toEqual([]);
  expect(stats).toEqual({ messageCount: 0, consumerCount: 0 });
  // Enough samples for medians, and a run long enough for the tolerance to see the reference leak.
  expect(third).toBeGreaterThanOrEqual(5);
  expect(referenceLeakGrowth).toBeGreaterThan(2 * HEAP_TOLERANCE_BYTES);
  expect(heapLast - heapFirst, 'heapUsed grew').toBeLessThan(HEAP_TOLERANCE_BYTES);
  expect(rssLast - rssFirst, 'rss grew').toBeLessThan(RSS_TOLERANCE_BYTES);
});
