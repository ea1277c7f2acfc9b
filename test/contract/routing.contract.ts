import { expect, it } from 'vitest';
import { UnroutableError } from '../../src/errors/unroutable-error.js';
import type { ContractContext } from './transport-contract.js';

export function routingContract({ harness }: ContractContext): void {
  it('a round trip keeps the content and every property', async () => {
    const h = harness();
    const [exchange, queue] = [h.name('orders'), h.name('billing')];
    await h.declare({
      exchanges: [{ name: exchange, type: 'topic' }],
      queues: [{ name: queue }],
      bindings: [{ queue, exchange, pattern: 'order.*' }],
    });
    const content = Buffer.from([0x7b, 0x00, 0xff, 0xfe, 0x7d]); // not valid UTF-8 on purpose
    const headers = {
      text: 'café ☕',
      small: 42,
      negative: -7,
      large: 2 ** 40,
      fraction: 1.5,
      yes: true,
      no: false,
      nested: { level: { deeper: 'value', count: 3 }, list: ['a', 2, true] },
    };
    const properties = {
      contentType: 'application/json',
      contentEncoding: 'identity',
      deliveryMode: 2 as const,
      messageId: h.name('message'),
      correlationId: h.name('correlation'),
      appId: 'orders',
      type: 'order.placed',
      timestamp: 1_700_000_000,
      headers,
    };
    const inbox = await h.inbox(queue, { prefetch: 1 });

    await h.transport.publish({ exchange, routingKey: 'order.placed', content, properties });

    const [delivery] = await inbox.receive(1);
    expect(delivery).toMatchObject({ queue, exchange, routingKey: 'order.placed', redelivered: false });
    expect(Buffer.compare(delivery!.content, content)).toBe(0);
    const { headers: received, ...rest } = delivery!.properties;
    const { headers: _sent, ...sent } = properties;
    expect(rest).toMatchObject(sent);
    expect(received).toEqual(headers);
  });

  it('publishes are persistent by default and headers are always an object', async () => {
    const h = harness();
    const queue = h.name('plain');
    await h.declare({ queues: [{ name: queue }] });
    const inbox = await h.inbox(queue);

    await h.transport.publish({ exchange: '', routingKey: queue, content: Buffer.alloc(0), properties: {} });

    const [delivery] = await inbox.receive(1);
    expect(delivery!.properties.deliveryMode).toBe(2);
    expect(delivery!.properties.headers).toEqual({});
    expect(delivery!.content.length).toBe(0);
  });

  it('a topic exchange routes with * (one word) and # (zero or more words)', async () => {
    const h = harness();
    const exchange = h.name('topic');
    const [star, hash, all] = [h.name('star'), h.name('hash'), h.name('all')];
    await h.declare({
      exchanges: [{ name: exchange, type: 'topic' }],
      queues: [{ name: star }, { name: hash }, { name: all }],
      bindings: [
        { queue: star, exchange, pattern: 'order.*' },
        { queue: hash, exchange, pattern: 'order.#' },
        { queue: all, exchange, pattern: '#' },
      ],
    });

    for (const key of ['order.created', 'order.created.eu', 'order', 'invoice.paid']) {
      await h.publish(exchange, key, key);
    }

    await h.readyCount(all, 4);
    expect(await h.drain(star)).toEqual(['order.created']);
    expect(await h.drain(hash)).toEqual(['order.created', 'order.created.eu', 'order']);
    expect(await h.drain(all)).toEqual(['order.created', 'order.created.eu', 'order', 'invoice.paid']);
  });

  it('a direct exchange routes exact keys only; a queue bound twice gets one copy', async () => {
    const h = harness();
    const [exchange, queue] = [h.name('direct'), h.name('exact')];
    await h.declare({
      exchanges: [{ name: exchange, type: 'direct' }],
      queues: [{ name: queue }],
      bindings: [
        { queue, exchange, pattern: 'order.created' },
        { queue, exchange, pattern: 'order.updated' },
      ],
    });

    await h.publish(exchange, 'order.created', 'one');
    await h.publish(exchange, 'order.updated', 'two');
    await expect(h.publish(exchange, 'order.*', 'wildcards mean nothing here')).rejects.toThrow(
      UnroutableError,
    );

    await h.readyCount(queue, 2);
    expect(await h.drain(queue)).toEqual(['one', 'two']);
  });

  it('a fanout exchange copies to every bound queue whatever the key', async () => {
    const h = harness();
    const [exchange, first, second] = [h.name('fanout'), h.name('first'), h.name('second')];
    await h.declare({
      exchanges: [{ name: exchange, type: 'fanout' }],
      queues: [{ name: first }, { name: second }],
      bindings: [
        { queue: first, exchange, pattern: '' },
        { queue: second, exchange, pattern: 'ignored.key' },
      ],
    });

    await h.publish(exchange, 'any.key.at.all', 'hello');

    await h.readyCount(second, 1);
    expect(await h.drain(first)).toEqual(['hello']);
    expect(await h.drain(second)).toEqual(['hello']);
  });

  it("the default exchange '' delivers to the queue named by the routing key", async () => {
    const h = harness();
    const queue = h.name('by-name');
    await h.declare({ queues: [{ name: queue }] });
    const inbox = await h.inbox(queue);

    await h.publish('', queue, 'direct to queue');

    const [delivery] = await inbox.receive(1);
    expect(delivery).toMatchObject({ exchange: '', routingKey: queue, queue });
    expect(delivery!.content.toString()).toBe('direct to queue');
  });

  it('an unroutable publish rejects with UnroutableError naming exchange, key and message id', async () => {
    const h = harness();
    const [exchange, queue] = [h.name('orders'), h.name('only-orders')];
    await h.declare({
      exchanges: [{ name: exchange, type: 'topic' }],
      queues: [{ name: queue }],
      bindings: [{ queue, exchange, pattern: 'order.*' }],
    });
    const messageId = h.name('lost');

    const error = await h.publish(exchange, 'invoice.paid', 'x', { messageId }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(UnroutableError);
    expect(error).toMatchObject({ exchange, routingKey: 'invoice.paid', messageId });
    await expect(h.publish('', h.name('no-such-queue'), 'x')).rejects.toThrow(UnroutableError);
    // Nothing was stored anywhere, and the transport still works.
    expect((await h.transport.queueStats(queue))?.messageCount).toBe(0);
    await h.publish(exchange, 'order.placed', 'routable');
    await h.readyCount(queue, 1);
  });

  it('publishing to a missing exchange rejects with UnroutableError (NOT_FOUND); the transport recovers', async () => {
    const h = harness();
    const queue = h.name('after');
    await h.declare({ queues: [{ name: queue }] });
    const missing = h.name('missing-exchange');

    const error = await h.publish(missing, 'order.placed', 'x').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(UnroutableError);
    expect(error).toMatchObject({ exchange: missing, routingKey: 'order.placed' });
    expect((error as UnroutableError).replyText).toMatch(/NOT_FOUND/);
    await h.publish('', queue, 'still works');
    await h.readyCount(queue, 1);
  });

  it('two transports share the broker: one declares and consumes, the other publishes', async () => {
    const h = harness();
    const other = await h.open();
    const [exchange, queue] = [h.name('shared'), h.name('shared-queue')];
    await h.declare({
      exchanges: [{ name: exchange, type: 'topic' }],
      queues: [{ name: queue }],
      bindings: [{ queue, exchange, pattern: '#' }],
    });
    const inbox = await h.inbox(queue);

    await h.publish(exchange, 'order.placed', 'from another service', {}, other);

    const [delivery] = await inbox.receive(1);
    expect(delivery!.content.toString()).toBe('from another service');
  });
}
