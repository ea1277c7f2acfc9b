// A connection lost while the transport sets it up after a reconnect — declaring the remembered topology
// again, resuming the consumers — must not be taken into use: its 'close' came before it was the
// transport's connection. The transport must connect once more, then publish and consume again. (It used
// to install the dead connection as open and emit 'connected': every publish failed, consumers never came
// back, and nothing ever reconnected.) The proxy cuts the connection when the re-declaration reaches a
// queue in the middle of the topology.
import { afterEach, expect, it } from 'vitest';
import { ConnectionFailedError, type Delivery } from '../../../src/index.js';
import { AmqpTransport } from '../../../src/rabbitmq.js';
import { deleteDeclared } from '../../helpers/declared-names.js';
import { AMQP_URL } from '../servers.js';
import { Cleanups, proxyTo, uniqueNames, waitFor } from './fault-helpers.js';

/** Topologies declared one by one after the main one: each is declared again, in order, on a reconnect. */
const EXTRA_TOPOLOGIES = 8;

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

it('a connection lost while its topology is declared again is not used: the transport reconnects', async () => {
  const { id, exchange, queue, routingKey } = uniqueNames('setup-lost');
  const extraQueues = Array.from({ length: EXTRA_TOPOLOGIES }, (_, index) => `${id}.extra-${index}`);
  const { proxy, url } = await proxyTo(AMQP_URL, 5672);
  cleanups.add(() => proxy.close());
  const admin = new AmqpTransport({ url: AMQP_URL, connectionName: `${id}-admin` });
  cleanups.add(() => admin.close());
  cleanups.add(async () => {
    const failed = await deleteDeclared(admin, { queues: [queue, ...extraQueues], exchanges: [exchange] });
    if (failed.length > 0) console.warn(`[lost-during-setup] could not delete ${failed.join(', ')}`);
  });

  const transport = new AmqpTransport({
    url,
    connectionName: `${id}-proxied`,
    reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
  });
  cleanups.add(() => transport.close({ timeoutMs: 2000 }));
  const lifecycle: string[] = [];
  const errors: Error[] = [];
  transport.on('connected', () => lifecycle.push('connected'));
  transport.on('disconnected', () => lifecycle.push('disconnected'));
  transport.on('error', (error) => errors.push(error));

  await transport.declare({
    exchanges: [{ name: exchange, type: 'topic', durable: false }],
    queues: [{ name: queue, durable: false }],
    bindings: [{ queue, exchange, pattern: routingKey }],
  });
  for (const extra of extraQueues) await transport.declare({ queues: [{ name: extra, durable: false }] });
  const received: string[] = [];
  await transport.consume(
    queue,
    async (delivery: Delivery) => {
      received.push(delivery.properties.messageId ?? '?');
      delivery.ack();
    },
    { prefetch: 10 },
  );
  const send = (messageId: string) =>
    transport.publish(
      { exchange, routingKey, content: Buffer.from('{}'), properties: { messageId } },
      { timeoutMs: 20_000 },
    );
  await send(`${id}-before`);
  await waitFor(() => received.includes(`${id}-before`), 10_000, 'the first message to be consumed');

  // Lost once: the transport reconnects and declares everything again; lost again halfway through that.
  let lostDuringSetup = false;
  void proxy.cutOnClientBytes(extraQueues[EXTRA_TOPOLOGIES / 2]!).then(() => (lostDuringSetup = true));
  proxy.cut();
  await waitFor(() => lostDuringSetup, 20_000, 'the reconnect to declare the marker queue again');

  // The message goes out on a live connection, and the resumed consumer gets it.
  await send(`${id}-after`);
  await waitFor(() => received.includes(`${id}-after`), 20_000, 'the message sent after the losses');
  expect(transport.connected).toBe(true);
  expect(proxy.connections).toBe(1);
  expect((await admin.queueStats(queue))?.consumerCount).toBe(1);
  // The connection lost during its setup was never announced; the connect loop said why it tried again.
  expect(lifecycle).toEqual(['connected', 'disconnected', 'connected']);
  const retried = errors.filter(
    (error) => error instanceof ConnectionFailedError && /lost while its topology/.test(error.message),
  );
  expect(retried, errors.map((error) => error.message).join('\n')).toHaveLength(1);
  // Nothing else went wrong: no declaration or consumer reported as failed on the dead connection.
  expect(errors.map((error) => error.message)).toEqual(retried.map((error) => error.message));
});
