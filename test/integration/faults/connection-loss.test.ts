// The broker closes every connection of a publishing transport twice while it publishes 5,000 messages
// (a TCP proxy in front of RabbitMQ is cut). Every publish must settle once: confirmed messages are
// never lost; rejected ones carry a typed error and arrive once the test sends them again.
import { afterEach, expect, it } from 'vitest';
import { ConnectionLostError, Publisher, PublishTimeoutError, type Delivery } from '../../../src/index.js';
import { AmqpTransport } from '../../../src/rabbitmq.js';
import { AMQP_URL } from '../servers.js';
import { Cleanups, proxyTo, sleep, tally, uniqueNames, waitFor } from './fault-helpers.js';

const TOTAL = 5000;
/** Confirmed publishes after which the proxy drops every connection. */
const CUT_AFTER = [1000, 3000];

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

it('publishing 5,000 messages through two connection losses: no confirmed message is lost', async () => {
  const { exchange, queue, routingKey } = uniqueNames('loss');
  const { proxy, url } = await proxyTo(AMQP_URL, 5672);
  cleanups.add(() => proxy.close());

  // The consumer is connected directly: only the publisher's connections are cut.
  const direct = new AmqpTransport({ url: AMQP_URL, connectionName: `${exchange}-direct` });
  cleanups.add(() => direct.close());
  cleanups.add(() => direct.deleteExchange(exchange));
  cleanups.add(() => direct.deleteQueue(queue));
  await direct.declare({
    exchanges: [{ name: exchange, type: 'topic', durable: true }],
    queues: [{ name: queue, durable: true }],
    bindings: [{ queue, exchange, pattern: routingKey }],
  });
  const received: string[] = [];
  await direct.consume(
    queue,
    async (delivery: Delivery) => {
      received.push(delivery.properties.messageId ?? '?');
      delivery.ack();
    },
    { prefetch: 500 },
  );

  const transport = new AmqpTransport({
    url,
    connectionName: `${exchange}-proxied`,
    reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
    publishTimeoutMs: 10_000,
  });
  cleanups.add(() => transport.close({ timeoutMs: 1000 }));
  const lifecycle: string[] = [];
  const transportErrors: string[] = [];
  const connectedAt: number[] = [];
  transport.on('connected', () => {
    lifecycle.push('connected');
    connectedAt.push(Date.now());
  });
  transport.on('disconnected', () => lifecycle.push('disconnected'));
  transport.on('error', (error) => transportErrors.push(error.message));
  await transport.connect();

  const publisher = new Publisher(transport, { appId: exchange });
  const cutAt: number[] = [];
  let confirmedSoFar = 0;
  const onConfirmed = () => {
    confirmedSoFar++;
    if (CUT_AFTER.includes(confirmedSoFar)) {
      cutAt.push(Date.now());
      proxy.cut();
    }
  };

  // Pipelined: every publish is started at once; the transport's window (1,000 unconfirmed) applies.
  const ids = Array.from({ length: TOTAL }, (_, index) => `${exchange}-m${index}`);
  const outcomes = await Promise.allSettled(
    ids.map((messageId, index) =>
      publisher.send({ index }, routingKey, { messageId }).then(() => onConfirmed()),
    ),
  );
  const confirmed = ids.filter((_, index) => outcomes[index]!.status === 'fulfilled');
  const rejected = ids.filter((_, index) => outcomes[index]!.status === 'rejected');
  const errorClasses = tally(
    outcomes.flatMap((outcome) =>
      outcome.status === 'rejected' ? [(outcome.reason as Error)?.constructor?.name ?? '?'] : [],
    ),
  );
  for (const outcome of outcomes) {
    if (outcome.status === 'rejected') {
      const error = outcome.reason as unknown;
      expect(
        error instanceof ConnectionLostError || error instanceof PublishTimeoutError,
        String(error),
      ).toBe(true);
    }
  }
  expect(cutAt).toHaveLength(CUT_AFTER.length);

  // As a user would: send the rejected ones again (same message id) once the connection is back.
  await waitFor(() => transport.connected, 10_000, 'the reconnect');
  const resent = await Promise.allSettled(
    rejected.map((messageId) => publisher.send({ resent: true }, routingKey, { messageId })),
  );
  expect(resent.filter((outcome) => outcome.status === 'rejected')).toEqual([]);
  // Publishing works after the reconnects.
  const { messageId: lastId } = await publisher.send({ last: true }, routingKey);

  const expected = new Set([...ids, lastId]);
  await waitFor(
    () => {
      const seen = new Set(received);
      return [...expected].every((id) => seen.has(id));
    },
    20_000,
    'every message to arrive',
  );
  // Let duplicates (at-least-once) arrive too before counting them.
  await waitFor(async () => (await direct.queueStats(queue))?.messageCount === 0, 5000, 'an empty queue');
  await sleep(200);

  const counts = tally(received);
  const lost = confirmed.filter((id) => !counts.has(id));
  const lostResent = rejected.filter((id) => !counts.has(id));
  const duplicates = [...counts].filter(([, count]) => count > 1).map(([id]) => id);
  const rejectedSet = new Set(rejected);
  const recoveryMs = cutAt.map((at) => (connectedAt.find((connected) => connected >= at) ?? NaN) - at);
  console.info(
    `[connection-loss] published ${TOTAL}: confirmed ${confirmed.length}, rejected ${rejected.length} ` +
      `(${JSON.stringify(Object.fromEntries(errorClasses))}); lost ${lost.length}, ` +
      `re-sent but lost ${lostResent.length}; duplicates ${duplicates.length}; ` +
      `recovery ${recoveryMs.join(', ')} ms; lifecycle ${lifecycle.join(' > ')}; ` +
      `transport errors ${transportErrors.length}${transportErrors.length ? `: ${transportErrors[0]}` : ''}`,
  );

  expect(lost).toEqual([]);
  expect(lostResent).toEqual([]);
  // Only a message whose outcome was unknown (rejected, then sent again) may arrive twice: the transport
  // itself never publishes a message twice.
  expect(duplicates.filter((id) => !rejectedSet.has(id))).toEqual([]);
  expect(received.filter((id) => !expected.has(id))).toEqual([]);
  // Connected, then for each cut: disconnected and connected again.
  expect(lifecycle).toEqual(['connected', 'disconnected', 'connected', 'disconnected', 'connected']);
  expect(recoveryMs.every((ms) => Number.isFinite(ms))).toBe(true);
  expect(transport.connected).toBe(true);
});
