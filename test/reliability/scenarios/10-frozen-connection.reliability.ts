// Scenario 10: frozen connections (issue 10, point 3). The publisher and the consumer reach RabbitMQ
// through a TCP proxy that, at each fault, stops forwarding in both directions without closing anything:
// no FIN, no RST, as a frozen network path, a dropped NAT entry or a paused VM would leave them. With the
// default options the transports must notice (two heartbeats of silence) and work on new connections
// within 15 s. Nothing confirmed may be lost; what the broker delivered on the frozen connection comes
// back once the broker gives up on it.
import { afterEach, expect, it } from 'vitest';
import { MemoryRepeatCounter, Publisher, Consumer, waitQueueName } from '../../../src/index.js';
import { AmqpTransport } from '../../../src/rabbitmq.js';
import { Cleanups, proxyTo, uniqueNames, waitFor } from '../../integration/faults/fault-helpers.js';
import { AMQP_URL } from '../../integration/servers.js';
import { figuresFrom, reportFigures } from '../figures.js';
import { adminTransport, drained, medianAndMax, publishAll, watchOutages } from '../harness.js';
import { History, summarize } from '../history.js';
import { sized } from '../size.js';

const TOTAL = sized(10_000, 3_000);
const PER_SECOND = 200;
/** A freeze once these shares of the publishes settled (and both transports recovered from the last). */
const FREEZE_AT = sized([0.15, 0.45, 0.75], [0.25]);
const LIMIT_MS = 15_000;

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

it(`${FREEZE_AT.length} frozen connections during ${TOTAL} publishes and their consumption`, async () => {
  const { id, appId, queue, exchange, routingKey } = uniqueNames('rel10');
  const admin = adminTransport(
    AMQP_URL,
    { id, appId, queue, exchange },
    [waitQueueName(queue, 50)],
    cleanups,
  );
  const { proxy, url } = await proxyTo(AMQP_URL, 5672);
  cleanups.add(() => proxy.close());

  // The default options (heartbeat 5 s, default reconnect), but for the names.
  const consumerTransport = new AmqpTransport({ url, connectionName: `${id}-sub` });
  const publisherTransport = new AmqpTransport({ url, connectionName: `${id}-pub` });
  cleanups.add(() => consumerTransport.close({ timeoutMs: 2000 }));
  cleanups.add(() => publisherTransport.close({ timeoutMs: 2000 }));
  const consumerOutages = watchOutages(consumerTransport);
  const publisherOutages = watchOutages(publisherTransport);
  const connectedAt = { publisher: [] as number[], consumer: [] as number[] };
  publisherTransport.on('connected', () => connectedAt.publisher.push(Date.now()));
  consumerTransport.on('connected', () => connectedAt.consumer.push(Date.now()));
  const lostBecause = new Set<string>();
  for (const transport of [consumerTransport, publisherTransport])
    transport.on('disconnected', ({ error }) => {
      if (error) lostBecause.add(error.message.replace(/^.* was lost: /, '').replace(/\d+ s/g, 'N s'));
    });

  const history = new History();
  const receivedAt: number[] = [];
  const subscriber = new Consumer(consumerTransport, {
    queue,
    bindingKeys: [routingKey],
    appId,
    prefetch: 200,
    maxAttempts: 20, // a redelivery after a lost connection counts as an attempt
    repeatDelaysMs: [50],
    repeatCounter: new MemoryRepeatCounter(),
  });
  cleanups.add(() => subscriber.close());
  await subscriber.consume(({ messageId }) => {
    history.receive(messageId);
    receivedAt.push(Date.now());
  });
  const publisher = new Publisher(publisherTransport, { appId });
  await publisher.send({ warmUp: true }, routingKey, { messageId: `${id}-warm-up` });
  history.record(`${id}-warm-up`, 'ok');

  const frozenAt: number[] = [];
  const confirmedAt: number[] = [];
  let settled = 0;
  const freezes = (async () => {
    for (const share of FREEZE_AT) {
      await waitFor(() => settled >= share * TOTAL, 120_000, `${share * 100} % of the publishes`);
      frozenAt.push(Date.now());
      expect(proxy.freeze()).toBe(2);
      // Both transports are back (each on a new connection) before the next freeze.
      const disconnects = consumerOutages.disconnects + publisherOutages.disconnects;
      await waitFor(
        () =>
          consumerOutages.disconnects + publisherOutages.disconnects >= disconnects + 2 &&
          consumerTransport.connected &&
          publisherTransport.connected,
        60_000,
        'both transports to reconnect',
      );
    }
  })();
  const ids = Array.from({ length: TOTAL }, (_, index) => `${id}-m${index}`);
  const startedAt = Date.now();
  await publishAll(
    ids,
    history,
    async (messageId) => {
      await publisher.send({ messageId }, routingKey, { messageId });
      confirmedAt.push(Date.now());
    },
    { concurrency: 50, perSecond: PER_SECOND, onProgress: (count) => (settled = count) },
  );
  await freezes;
  const runMs = Date.now() - startedAt;

  const { result, deadLetters } = await drained(history, admin, { queue, appId, arrivalTimeoutMs: 60_000 });
  // From each freeze to the first publish confirmed, and the first message consumed, on the new connection.
  const againAfter = (times: number[], reconnects: number[]) =>
    frozenAt.map((at) => {
      const back = reconnects.find((time) => time > at);
      return back === undefined ? NaN : (times.find((time) => time >= back) ?? NaN) - at;
    });
  const publishedAgainMs = againAfter(confirmedAt, connectedAt.publisher);
  const consumedAgainMs = againAfter(receivedAt, connectedAt.consumer);
  const noticedMs = [
    ...againAfter(connectedAt.publisher, connectedAt.publisher),
    ...againAfter(connectedAt.consumer, connectedAt.consumer),
  ];
  reportFigures({
    scenario: '10-frozen-connection',
    size: `${TOTAL} publishes at ${PER_SECOND}/s; the path to RabbitMQ frozen ${FREEZE_AT.length}× (default options)`,
    ...figuresFrom(result),
    recoveryMs: medianAndMax([...publishedAgainMs, ...consumedAgainMs]),
    notes:
      `run ${(runMs / 1000).toFixed(1)} s; from the freeze: reconnected ${noticedMs.join(', ')} ms, publish confirmed again ${publishedAgainMs.join(', ')} ms, ` +
      `message consumed again ${consumedAgainMs.join(', ')} ms; ` +
      `unknown ${result.unknown}; lost because: ${[...lostBecause].join(' | ')}; dead letters ${deadLetters.length}`,
  });
  console.info(`[reliability 10] ${summarize(result)}`);

  expect(frozenAt).toHaveLength(FREEZE_AT.length);
  expect(result.lost).toEqual([]);
  expect(result.phantom).toEqual([]);
  expect(deadLetters).toEqual([]);
  expect([...lostBecause].every((reason) => /Heartbeat timeout/.test(reason))).toBe(true);
  expect([...publishedAgainMs, ...consumedAgainMs].every((ms) => ms <= LIMIT_MS)).toBe(true);
});
