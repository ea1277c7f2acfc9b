// Acks leave a consumer channel together (one ack(multiple) per turn where it can): on the real broker,
// handlers finishing out of order, some failing, every message still ends up exactly once where it
// should — acked once or nacked once, none redelivered, none left unacked, none acked twice (a second
// ack of a tag is a channel error that would close the channel and redeliver everything in flight).
import { randomUUID } from 'node:crypto';
import { afterAll, expect, it } from 'vitest';
import { AmqpTransport } from '../../src/rabbitmq.js';
import { AMQP_URL } from './servers.js';

const queue = `ack-batch-${randomUUID().slice(0, 8)}`;
const transport = new AmqpTransport({ url: AMQP_URL, connectionName: queue });
const errors: Error[] = [];
transport.on('error', (error) => errors.push(error));

afterAll(async () => {
  await transport.deleteQueue(queue).catch(() => {});
  await transport.close();
});

it('acks and nacks of handlers finishing out of order settle each message exactly once', async () => {
  const total = 600;
  await transport.declare({ queues: [{ name: queue, durable: false }] });
  for (let i = 0; i < total; i++) {
    await transport.publish({
      exchange: '',
      routingKey: queue,
      content: Buffer.from(String(i)),
      properties: { messageId: `m-${i}` },
    });
  }
  const seen = new Map<number, number>();
  const redelivered: number[] = [];
  let settled = 0;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const consumer = await transport.consume(
    queue,
    async (delivery) => {
      const n = Number(delivery.content.toString());
      seen.set(n, (seen.get(n) ?? 0) + 1);
      if (delivery.redelivered) redelivered.push(n);
      // Every seventh handler is slow, so later deliveries finish first; every eleventh message is
      // rejected (dead-lettered, or dropped here: the queue has no dead-letter exchange).
      if (n % 7 === 0) await new Promise((resolve) => setTimeout(resolve, 5 + (n % 13)));
      else if (n % 3 === 0) await Promise.resolve();
      if (n % 11 === 0) delivery.nack({ requeue: false });
      else delivery.ack();
      if (++settled === total) finish();
    },
    { prefetch: 50 },
  );
  await finished;
  await consumer.cancel();
  expect(seen.size).toBe(total);
  expect([...seen.values()].every((count) => count === 1)).toBe(true);
  expect(redelivered).toEqual([]);
  expect(errors).toEqual([]);
  // Nothing left in the queue, nothing unacked: the queue is empty with no consumer.
  expect(await transport.queueStats(queue)).toEqual({ messageCount: 0, consumerCount: 0 });
});
