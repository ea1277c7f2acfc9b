// A nacked publish is published again on a fresh confirm channel until the broker takes it or its
// timeout comes; then it rejects with PublishNackedError. A full queue with `x-overflow: reject-publish`
// makes the broker nack on demand.
import { randomUUID } from 'node:crypto';
import amqplib from 'amqplib';
import { afterAll, expect, it } from 'vitest';
import { PublishNackedError } from '../../src/index.js';
import { AmqpTransport } from '../../src/rabbitmq.js';
import { AMQP_URL } from './servers.js';

const queue = `nack-${randomUUID().slice(0, 8)}`;
const transport = new AmqpTransport({ url: AMQP_URL, connectionName: queue });

afterAll(async () => {
  await transport.deleteQueue(queue).catch(() => {});
  await transport.close();
});

it('a nacked publish is retried on a fresh channel, and confirmed once the broker accepts it', async () => {
  const connection = await amqplib.connect(AMQP_URL);
  const channel = await connection.createChannel();
  await channel.assertQueue(queue, { arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish' } });
  await connection.close();
  const send = (n: number, timeoutMs?: number) =>
    transport.publish(
      { exchange: '', routingKey: queue, content: Buffer.from(String(n)), properties: {} },
      timeoutMs === undefined ? {} : { timeoutMs },
    );
  await send(1);

  // The queue is full: nacked again and again, then rejected with the typed error at its deadline.
  const started = Date.now();
  const error = await send(2, 400).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(PublishNackedError);
  expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  expect(Date.now() - started).toBeLessThan(1500);

  // Room appears while the publish is being retried: it is confirmed, and exactly one copy is stored.
  const third = send(3, 5000);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const first = await transport.get(queue); // taken off the ready list: the slot is free
  expect(first?.content.toString()).toBe('1');
  first?.ack();
  await expect(third).resolves.toBeUndefined();
  const stored = await transport.get(queue);
  expect(stored?.content.toString()).toBe('3');
  stored?.ack();
  expect(await transport.get(queue)).toBeUndefined();
});
