// Scenario 2: `rabbitmqctl stop_app` and `start_app`, twice, while 10,000 messages are published and
// consumed. On a RabbitMQ node of the test's own (private-broker.ts), so that no one else's connections
// drop. Confirmed messages are persistent on a durable queue: each one must arrive after the restarts.
import { afterEach, expect, it } from 'vitest';
import { MemoryRepeatCounter, Publisher, Consumer } from '../../../src/index.js';
import { AmqpTransport } from '../../../src/rabbitmq.js';
import { Cleanups, sleep, uniqueNames, waitFor } from '../../integration/faults/fault-helpers.js';
import { figuresFrom, reportFigures } from '../figures.js';
import { drained, medianAndMax, publishAll } from '../harness.js';
import { History, summarize } from '../history.js';
import { startPrivateBroker } from '../private-broker.js';
import { sized } from '../size.js';

const TOTAL = sized(10_000, 3_000);
/** Paced so that the run lasts about 20 s (CI: 10 s) plus the outages. */
const PER_SECOND = sized(500, 300);
/**
 * The application is stopped once these shares of the publishes settled (and the previous restart is
 * over), for OUTAGE_MS each.
 */
const STOP_AT = [0.2, 0.6];
const OUTAGE_MS = 2000;

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

it(`stop_app / start_app twice during ${TOTAL} publishes and their consumption`, async () => {
  const broker = await startPrivateBroker();
  cleanups.add(() => broker.shutdown());
  const { id, appId, queue, routingKey } = uniqueNames('rel2');

  const reconnect = { initialDelayMs: 50, maxDelayMs: 500 };
  const consumerTransport = new AmqpTransport({ url: broker.url, connectionName: `${id}-sub`, reconnect });
  const publisherTransport = new AmqpTransport({ url: broker.url, connectionName: `${id}-pub`, reconnect });
  cleanups.add(() => consumerTransport.close({ timeoutMs: 2000 }));
  cleanups.add(() => publisherTransport.close({ timeoutMs: 2000 }));
  // Back after each restart: the time from start_app being issued to each transport's reconnect.
  const connectedAt: { publisher: number[]; consumer: number[] } = { publisher: [], consumer: [] };
  consumerTransport.on('connected', () => connectedAt.consumer.push(Date.now()));
  publisherTransport.on('connected', () => connectedAt.publisher.push(Date.now()));
  const transportErrors: string[] = [];
  for (const transport of [consumerTransport, publisherTransport])
    transport.on('error', (error) => transportErrors.push(error.message));

  const history = new History();
  const subscriber = new Consumer(consumerTransport, {
    queue,
    bindingKeys: [routingKey],
    appId,
    prefetch: 200,
    maxAttempts: 20, // a redelivery after a dropped connection counts as an attempt
    repeatDelaysMs: [50],
    repeatCounter: new MemoryRepeatCounter(),
  });
  cleanups.add(() => subscriber.close());
  await subscriber.consume(({ messageId }) => history.receive(messageId));

  const publisher = new Publisher(publisherTransport, { appId });
  await publisher.send({ warmUp: true }, routingKey, { messageId: `${id}-warm-up` });
  history.record(`${id}-warm-up`, 'ok');

  // When start_app was issued, and how long it took until the node said it had booted.
  const startedAppAt: number[] = [];
  const startAppMs: number[] = [];
  const restart = async () => {
    await broker.stopApp();
    await sleep(OUTAGE_MS);
    const issuedAt = Date.now();
    startedAppAt.push(issuedAt);
    await broker.startApp();
    startAppMs.push(Date.now() - issuedAt);
  };
  let settled = 0;
  const restarts = (async () => {
    for (const share of STOP_AT) {
      await waitFor(() => settled >= share * TOTAL, 120_000, `${share * 100} % of the publishes`);
      await restart();
    }
  })();
  const ids = Array.from({ length: TOTAL }, (_, index) => `${id}-m${index}`);
  const startedAt = Date.now();
  await publishAll(ids, history, (messageId) => publisher.send({ messageId }, routingKey, { messageId }), {
    concurrency: 100,
    perSecond: PER_SECOND,
    onProgress: (count) => (settled = count),
  });
  await restarts;
  const runMs = Date.now() - startedAt;

  const { result, deadLetters } = await drained(history, consumerTransport, {
    queue,
    appId,
    arrivalTimeoutMs: 120_000,
  });
  const backAfter = (times: number[]) =>
    startedAppAt.map((at) => (times.find((connected) => connected >= at) ?? NaN) - at);
  const recovery = [...backAfter(connectedAt.publisher), ...backAfter(connectedAt.consumer)];
  reportFigures({
    scenario: '2-broker-app-restarted',
    size: `${TOTAL} publishes; stop_app, ${OUTAGE_MS / 1000} s, start_app, twice`,
    ...figuresFrom(result),
    recoveryMs: medianAndMax(recovery),
    notes:
      `run ${(runMs / 1000).toFixed(1)} s; start_app took ${startAppMs.join(', ')} ms; ` +
      `unknown ${result.unknown}; dead letters ${deadLetters.length}`,
  });
  console.info(
    `[reliability 2] ${summarize(result)}; back ${recovery.join(', ')} ms after start_app; connected at ${JSON.stringify(connectedAt)}, start_app at ${startedAppAt.join(', ')}`,
  );

  expect(startedAppAt).toHaveLength(STOP_AT.length);
  expect(result.lost).toEqual([]);
  expect(result.phantom).toEqual([]);
  expect(deadLetters).toEqual([]);
  // Both transports came back after each restart (recovery is finite for each).
  expect(recovery.every((ms) => Number.isFinite(ms))).toBe(true);
  expect(await consumerTransport.queueStats(queue)).toMatchObject({ messageCount: 0 });
});
