// Scenario 1: the broker closes every connection of the publisher and of the consumer every 500 ms while
// 10,000 messages are published and consumed. Nothing confirmed may be lost and nothing unsent may arrive;
// unknown outcomes (the connection dropped before the confirm) and duplicates are counted.
import { afterEach, expect, it } from 'vitest';
import { MemoryRepeatCounter, Publisher, Consumer, waitQueueName } from '../../../src/index.js';
import { AmqpTransport } from '../../../src/rabbitmq.js';
import { Cleanups, uniqueNames } from '../../integration/faults/fault-helpers.js';
import { AMQP_URL } from '../../integration/servers.js';
import { closeConnectionsEvery } from '../broker-faults.js';
import { figuresFrom, reportFigures } from '../figures.js';
import { adminTransport, drained, medianAndMax, publishAll, watchOutages } from '../harness.js';
import { History, summarize } from '../history.js';
import { sized } from '../size.js';

const TOTAL = sized(10_000, 3_000);
const CLOSE_EVERY_MS = 500;
/** Paced so that the run lasts 10 s (CI: 3 s): about 20 (6) closes of each connection. */
const PER_SECOND = 1000;

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

it(`${TOTAL} publishes and their consumption while the broker closes every connection each ${CLOSE_EVERY_MS} ms`, async () => {
  const { id, appId, queue, exchange, routingKey } = uniqueNames('rel1');
  const admin = adminTransport(
    AMQP_URL,
    { id, appId, queue, exchange },
    [waitQueueName(queue, 50)],
    cleanups,
  );

  const reconnect = { initialDelayMs: 20, maxDelayMs: 200 };
  const consumerTransport = new AmqpTransport({ url: AMQP_URL, connectionName: `${id}-sub`, reconnect });
  const publisherTransport = new AmqpTransport({ url: AMQP_URL, connectionName: `${id}-pub`, reconnect });
  cleanups.add(() => consumerTransport.close({ timeoutMs: 2000 }));
  cleanups.add(() => publisherTransport.close({ timeoutMs: 2000 }));
  const consumerOutages = watchOutages(consumerTransport);
  const publisherOutages = watchOutages(publisherTransport);
  const transportErrors: string[] = [];
  for (const transport of [consumerTransport, publisherTransport])
    transport.on('error', (error) => transportErrors.push(error.message));

  const history = new History();
  const subscriber = new Consumer(consumerTransport, {
    queue,
    bindingKeys: [routingKey],
    appId,
    prefetch: 200,
    maxAttempts: 50, // a redelivery after a dropped connection counts as an attempt: leave room for them
    repeatDelaysMs: [50],
    repeatCounter: new MemoryRepeatCounter(),
  });
  cleanups.add(() => subscriber.close());
  const settledOutcomes = new Map<string, number>();
  subscriber.on('settled', ({ outcome }) =>
    settledOutcomes.set(outcome, (settledOutcomes.get(outcome) ?? 0) + 1),
  );
  await subscriber.consume(({ messageId }) => history.receive(messageId));

  const publisher = new Publisher(publisherTransport, { appId });
  await publisher.send({ warmUp: true }, routingKey, { messageId: `${id}-warm-up` }); // declares the exchange
  history.record(`${id}-warm-up`, 'ok');

  const closer = await closeConnectionsEvery(id, CLOSE_EVERY_MS, 10 * 60_000);
  cleanups.add(() => closer.stop());
  const startedAt = Date.now();
  const ids = Array.from({ length: TOTAL }, (_, index) => `${id}-m${index}`);
  await publishAll(ids, history, (messageId) => publisher.send({ messageId }, routingKey, { messageId }), {
    concurrency: 100,
    perSecond: PER_SECOND,
  });
  const publishMs = Date.now() - startedAt;
  await closer.stop();

  // Faults over: everything the broker has must now arrive.
  const { result, deadLetters } = await drained(history, admin, { queue, appId, arrivalTimeoutMs: 60_000 });
  const closes = consumerOutages.disconnects + publisherOutages.disconnects;
  reportFigures({
    scenario: '1-broker-closes-connections',
    size: `${TOTAL} publishes; both connections closed by the broker every ${CLOSE_EVERY_MS} ms`,
    ...figuresFrom(result),
    recoveryMs: medianAndMax([...consumerOutages.gapsMs, ...publisherOutages.gapsMs]),
    notes:
      `${closes} connections closed in ${(publishMs / 1000).toFixed(1)} s; unknown ${result.unknown}; ` +
      `dead letters ${deadLetters.length}`,
  });
  console.info(`[reliability 1] ${summarize(result)}; transport errors ${transportErrors.length}`);

  expect(result.lost).toEqual([]);
  expect(result.phantom).toEqual([]);
  expect(deadLetters).toEqual([]);
  // The faults really happened, on both sides, and the run saw both outcomes of a publish.
  expect(publisherOutages.disconnects).toBeGreaterThanOrEqual(2);
  expect(consumerOutages.disconnects).toBeGreaterThanOrEqual(2);
  expect(result.ok).toBeGreaterThan(0);
  expect(await admin.queueStats(queue)).toMatchObject({ messageCount: 0 });
});
