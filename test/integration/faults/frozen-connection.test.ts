// A silently dead connection (issue 10, point 3): the TCP proxy in front of RabbitMQ stops forwarding in
// both directions without closing anything — no FIN, no RST — as a frozen network path would. With the
// default options the transport must notice, and publish and consume on a new connection, within 15 s.
// Measured: freeze → disconnected, → connected again, → first publish confirmed and first message
// consumed after the reconnect. Every confirmed message must still arrive.
import { afterEach, expect, it } from 'vitest';
import { ConnectionLostError, PublishTimeoutError, type Delivery } from '../../../src/index.js';
import { AmqpTransport } from '../../../src/rabbitmq.js';
import { AMQP_URL } from '../servers.js';
import { Cleanups, proxyTo, sleep, uniqueNames, waitFor } from './fault-helpers.js';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

/** One transport through a proxy, publishing every `intervalMs` and consuming what it publishes. */
async function publishingAndConsuming(
  label: string,
  options: { url?: (proxied: string) => string; heartbeatSeconds?: number } = {},
) {
  const { exchange, queue, routingKey } = uniqueNames(label);
  const { proxy, url } = await proxyTo(AMQP_URL, 5672);
  cleanups.add(() => proxy.close());
  const admin = new AmqpTransport({ url: AMQP_URL, connectionName: `${exchange}-admin` });
  cleanups.add(() => admin.close());
  cleanups.add(() => admin.deleteExchange(exchange));
  cleanups.add(() => admin.deleteQueue(queue));

  // The default options, but for the name: what a service gets without configuring anything.
  const transport = new AmqpTransport({
    url: options.url?.(url) ?? url,
    connectionName: `${exchange}-frozen`,
    ...(options.heartbeatSeconds === undefined ? {} : { heartbeatSeconds: options.heartbeatSeconds }),
  });
  cleanups.add(() => transport.close({ timeoutMs: 1000 }));
  const events: { name: string; at: number; detail?: string }[] = [];
  transport.on('connected', () => events.push({ name: 'connected', at: Date.now() }));
  transport.on('disconnected', ({ error }) =>
    events.push({ name: 'disconnected', at: Date.now(), detail: error?.message }),
  );
  await transport.declare({
    exchanges: [{ name: exchange, type: 'topic', durable: true }],
    queues: [{ name: queue, durable: true }],
    bindings: [{ queue, exchange, pattern: routingKey }],
  });
  const received = new Map<string, number>();
  await transport.consume(
    queue,
    async (delivery: Delivery) => {
      const id = delivery.properties.messageId ?? '?';
      if (!received.has(id)) received.set(id, Date.now());
      delivery.ack();
    },
    { prefetch: 50 },
  );

  const confirmed = new Map<string, number>();
  const rejected = new Map<string, Error>();
  let running = true;
  let sequence = 0;
  const publishing = (async () => {
    const inFlight = new Set<Promise<void>>();
    while (running) {
      const messageId = `${exchange}-m${sequence++}`;
      const publish = transport
        .publish({ exchange, routingKey, content: Buffer.from('{}'), properties: { messageId } })
        .then(
          () => void confirmed.set(messageId, Date.now()),
          (error: Error) => void rejected.set(messageId, error),
        );
      inFlight.add(publish);
      void publish.finally(() => inFlight.delete(publish));
      await sleep(20);
    }
    await Promise.all(inFlight);
  })();
  const stop = async () => {
    running = false;
    await publishing;
  };
  return { proxy, transport, events, confirmed, rejected, received, stop, admin, queue };
}

/** The earliest time at or after `since`, if there is one. */
function firstAfter(times: Iterable<number>, since: number): number | undefined {
  const after = [...times].filter((at) => at >= since);
  return after.length === 0 ? undefined : Math.min(...after);
}

it('a frozen connection is replaced within 15 s with the default options; no confirmed message is lost', async () => {
  const run = await publishingAndConsuming('frozen');
  await waitFor(() => run.received.size >= 50, 10_000, 'the steady state');

  const frozenAt = Date.now();
  expect(run.proxy.freeze()).toBe(1);
  const back = await waitFor(
    () => run.events.find((event) => event.name === 'connected' && event.at > frozenAt),
    30_000,
    'a new connection',
  );
  const firstConfirmed = await waitFor(
    () => firstAfter(run.confirmed.values(), back.at),
    15_000,
    'a publish confirmed on the new connection',
  );
  const firstConsumed = await waitFor(
    () => firstAfter(run.received.values(), back.at),
    15_000,
    'a message consumed on the new connection',
  );
  await sleep(500);
  await run.stop();

  // Messages the broker delivered on the frozen connection come back once the broker gives up on it.
  await waitFor(
    () => [...run.confirmed.keys()].every((id) => run.received.has(id)),
    45_000,
    'every confirmed message to arrive',
  );
  const lost = [...run.confirmed.keys()].filter((id) => !run.received.has(id));
  const disconnected = run.events.find((event) => event.name === 'disconnected' && event.at > frozenAt);
  const figures = {
    detectedMs: (disconnected?.at ?? NaN) - frozenAt,
    reconnectedMs: back.at - frozenAt,
    firstConfirmedMs: firstConfirmed - frozenAt,
    firstConsumedMs: firstConsumed - frozenAt,
  };
  console.info(
    `[frozen-connection] default options: ${JSON.stringify(figures)}; published ` +
      `${run.confirmed.size + run.rejected.size}, confirmed ${run.confirmed.size}, rejected ` +
      `${run.rejected.size} (${[...new Set([...run.rejected.values()].map((error) => error.name))].join(', ')}); ` +
      `lost ${lost.length}; disconnected because: ${disconnected?.detail}`,
  );

  expect(lost).toEqual([]);
  for (const error of run.rejected.values()) {
    expect(error instanceof PublishTimeoutError || error instanceof ConnectionLostError, String(error)).toBe(
      true,
    );
  }
  expect(disconnected?.detail).toMatch(/Heartbeat timeout/);
  expect(figures.firstConfirmedMs).toBeLessThanOrEqual(15_000);
  expect(figures.firstConsumedMs).toBeLessThanOrEqual(15_000);
  expect(run.transport.connected).toBe(true);
});

it('?heartbeat=1 in the URL wins over heartbeatSeconds: a frozen connection is noticed in about 2 s', async () => {
  const run = await publishingAndConsuming('frozen-url', {
    url: (proxied) => `${proxied}?heartbeat=1`,
    heartbeatSeconds: 30,
  });
  await waitFor(() => run.received.size >= 10, 10_000, 'the steady state');
  const frozenAt = Date.now();
  run.proxy.freeze();
  const back = await waitFor(
    () => run.events.find((event) => event.name === 'connected' && event.at > frozenAt),
    10_000,
    'a new connection',
  );
  await waitFor(
    () => [...run.received.values()].some((at) => at >= back.at),
    10_000,
    'a message consumed on the new connection',
  );
  await run.stop();
  console.info(`[frozen-connection] ?heartbeat=1: reconnected ${back.at - frozenAt} ms after the freeze`);
  // Two heartbeats of silence, counted from the last frame before the freeze: 1 to 2.x s.
  expect(back.at - frozenAt).toBeLessThan(5000);
});
