// Edge cases of AmqpTransport found in review; each test fails on the code before its fix.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import {
  Bridge,
  EventDispatcher,
  Publisher,
  PublishTimeoutError,
  Consumer,
  UnroutableError,
} from '../../src/index.js';
import { AmqpTransport } from '../../src/rabbitmq.js';
import { waitFor } from '../bridge/bridge-scenarios.js';
import { deleteDeclared, subscriberNames } from '../helpers/declared-names.js';
import { proxyTo } from './faults/fault-helpers.js';
import { AMQP_URL } from './servers.js';

const transport = new AmqpTransport({ url: AMQP_URL });
const id = `edge${randomUUID().slice(0, 8)}`;
const cleanup: (() => Promise<unknown>)[] = [];

afterAll(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => {});
  await transport.close();
});

async function queueOn(exchange: string, pattern: string): Promise<string> {
  const queue = `${exchange}.${randomUUID().slice(0, 6)}`;
  await transport.declare({
    exchanges: [{ name: exchange, type: 'topic' }],
    queues: [{ name: queue }],
    bindings: [{ queue, exchange, pattern }],
  });
  cleanup.push(
    () => transport.deleteQueue(queue),
    () => transport.deleteExchange(exchange),
  );
  return queue;
}

describe('AmqpTransport edge cases', () => {
  it('two publishes with one message id: the returned one is rejected, the routed one resolves', async () => {
    const exchange = `${id}-a`;
    const queue = await queueOn(exchange, 'routed.*');
    const content = Buffer.from('x');
    for (let round = 0; round < 5; round++) {
      const messageId = `same-${round}`;
      const [routed, dropped] = await Promise.allSettled([
        transport.publish({ exchange, routingKey: 'routed.key', content, properties: { messageId } }),
        transport.publish({ exchange, routingKey: 'nobody.key', content, properties: { messageId } }),
      ]);
      expect(routed.status).toBe('fulfilled');
      expect(dropped.status === 'rejected' && dropped.reason).toBeInstanceOf(UnroutableError);
    }
    expect((await transport.queueStats(queue))?.messageCount).toBe(5);
  });

  it('an exchange deleted behind its back is refused cleanly, without failing unrelated publishes', async () => {
    const doomed = `${id}-doomed`;
    const other = `${id}-other`;
    await queueOn(other, '#');
    const checker = new AmqpTransport({ url: AMQP_URL });
    await checker.declare({ exchanges: [{ name: doomed, type: 'topic' }] });
    await transport.declare({ exchanges: [{ name: doomed, type: 'topic' }] }); // now "known"
    await checker.deleteExchange(doomed);
    await checker.close();
    const unrelated = Array.from({ length: 50 }, (_, n) =>
      transport.publish({
        exchange: other,
        routingKey: 'a.b',
        content: Buffer.from(String(n)),
        properties: {},
      }),
    );
    const first = await transport
      .publish({ exchange: doomed, routingKey: 'a.b', content: Buffer.from('x'), properties: {} })
      .catch((error: unknown) => error);
    const results = await Promise.allSettled(unrelated);
    // The first publish after the deletion may close the channel once (the cache could not know)...
    expect(first).toBeInstanceOf(Error);
    // ...but the next one is checked first and refused as unroutable, and nothing else fails after it.
    await expect(
      transport.publish({ exchange: doomed, routingKey: 'a.b', content: Buffer.from('y'), properties: {} }),
    ).rejects.toBeInstanceOf(UnroutableError);
    const later = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        transport.publish({ exchange: other, routingKey: 'a.b', content: Buffer.from('z'), properties: {} }),
      ),
    );
    expect(later.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(results.length).toBe(50);
  });

  it('a caller woken for a window slot that leaves without publishing passes the slot on', async () => {
    const exchange = `${id}-window`;
    await queueOn(exchange, '#');
    const narrow = new AmqpTransport({ url: AMQP_URL, maxUnconfirmed: 1, publishTimeoutMs: 3000 });
    const started = Date.now();
    const outcomes = await Promise.allSettled([
      narrow.publish({ exchange, routingKey: 'a.b', content: Buffer.from('A'), properties: {} }),
      narrow.publish({
        exchange: `${id}-missing`,
        routingKey: 'a.b',
        content: Buffer.from('B'),
        properties: {},
      }),
      narrow.publish({ exchange, routingKey: 'a.b', content: Buffer.from('C'), properties: {} }),
    ]);
    await narrow.close();
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('Publisher.send honours its timeout while the broker cannot be reached', async () => {
    const { proxy, url } = await proxyTo(AMQP_URL, 5672);
    proxy.pause();
    const unreachable = new AmqpTransport({
      url,
      reconnect: { initialDelayMs: 50, maxDelayMs: 100 },
    });
    const started = Date.now();
    const error = await new Publisher(unreachable)
      .send({ n: 1 }, `${id}.late`, { timeoutMs: 500 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishTimeoutError);
    expect(Date.now() - started).toBeLessThan(2500);
    await unreachable.close();
    await proxy.close();
  });

  it('a burst of publishes to an exchange the transport has not seen checks it once: 2,500 at once all go through', async () => {
    // Declared by another connection, so the publishing transport does not know the exchange yet. Each
    // publish used to open a channel of its own to check it: past 2,047 the connection had none left.
    const exchange = `${id}-burst`;
    const admin = new AmqpTransport({ url: AMQP_URL });
    const queue = `${exchange}.q`;
    await admin.declare({
      exchanges: [{ name: exchange, type: 'topic' }],
      queues: [{ name: queue }],
      bindings: [{ queue, exchange, pattern: '#' }],
    });
    cleanup.push(
      () => transport.deleteQueue(queue),
      () => transport.deleteExchange(exchange),
    );
    await admin.close();
    const results = await Promise.allSettled(
      Array.from({ length: 2500 }, (_, n) =>
        transport.publish({
          exchange,
          routingKey: `${exchange}.x`,
          content: Buffer.from(String(n)),
          properties: { messageId: `burst-${n}` },
        }),
      ),
    );
    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
    expect((await transport.queueStats(queue))?.messageCount).toBe(2500);
  });

  it('subscribe/close cycles leave no consumer behind, and a consume added after start reports its errors', async () => {
    const exchange = `${id}-cycles`;
    const queue = `${exchange}.q`;
    // What the subscribers and the bridge below may declare: the bridge's with the default repeat delays.
    cleanup.push(() =>
      deleteDeclared(
        transport,
        subscriberNames({ appId: `${id}-app`, queue, bindingKeys: [`${exchange}.x`] }),
      ),
    );
    for (let cycle = 0; cycle < 3; cycle++) {
      const subscriber = new Consumer(transport, {
        appId: `${id}-app`,
        queue,
        bindingKeys: [`${exchange}.x`],
        repeatDelaysMs: [],
      });
      await subscriber.consume(() => {});
      await subscriber.close();
    }
    expect((await transport.queueStats(queue))?.consumerCount).toBe(0);

    const bridge = new Bridge({ dispatcher: new EventDispatcher(), transport, appId: `${id}-app` });
    const errors: Error[] = [];
    bridge.on('error', (error) => errors.push(error));
    await bridge.start();
    // The queue exists as classic; asking for a quorum queue of that name conflicts.
    bridge.consume({ queue, bindingKeys: [`${exchange}.x`], handler: () => {}, queueType: 'quorum' });
    await waitFor(() => errors[0], 5000, 'the declaration error');
    expect(errors[0]!.name).toBe('TopologyConflictError');
    await bridge.close();
  });
});

describe('the tidings command against a broker that is down', () => {
  it('exits with code 1 and says why, instead of exiting silently', async () => {
    const failure = await promisify(execFile)(
      process.execPath,
      ['dist/esm/cli/tidings.js', 'dead-letters', 'list', '--url', 'amqp://guest:guest@127.0.0.1:1'],
      {
        timeout: 30_000,
      },
    ).catch((error: unknown) => error as { code: number; stderr: string });
    expect(failure).toMatchObject({ code: 1 });
    expect((failure as { stderr: string }).stderr).toMatch(/tidings: .*ECONNREFUSED/);
  });
});
