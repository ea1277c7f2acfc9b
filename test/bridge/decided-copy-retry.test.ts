// A message whose outcome is decided (dead letter, repeat) but whose copy cannot be published yet is
// retried without running its handler again: kept unacked while the copy is retried, and, if the
// subscriber closes meanwhile, completed from the remembered decision when the message comes back.
import { randomUUID } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import {
  MemoryBroker,
  MemoryTransport,
  NonRetryableError,
  Publisher,
  Consumer,
  type SettledOutcome,
} from '../../src/index.js';
import { waitFor } from './bridge-scenarios.js';

const transports: MemoryTransport[] = [];
afterEach(async () => {
  for (const transport of transports.splice(0)) await transport.close();
});

function setUp() {
  const transport = new MemoryTransport({ broker: new MemoryBroker() });
  transports.push(transport);
  const id = `d${randomUUID().slice(0, 8)}`;
  const appId = `${id}-app`;
  const subscriber = new Consumer(transport, {
    appId,
    queue: `${id}.queue`,
    bindingKeys: [`${id}.made`],
    repeatDelaysMs: [0],
    maxAttempts: 3,
  });
  const settled: SettledOutcome[] = [];
  const errors: Error[] = [];
  subscriber.on('settled', (outcome) => settled.push(outcome));
  subscriber.on('error', (error) => errors.push(error));
  const dlq = { exchange: `${appId}.dead-letter`, queue: `${appId}.dead-letters` };
  const restoreDeadLetterQueue = () =>
    transport.declare({
      queues: [{ name: dlq.queue }],
      bindings: [{ queue: dlq.queue, exchange: dlq.exchange, pattern: '#' }],
    });
  return { transport, id, subscriber, settled, errors, dlq, restoreDeadLetterQueue };
}

it('a dead letter that cannot be published yet is retried, unacked, without running the handler again', async () => {
  const { transport, id, subscriber, settled, errors, dlq, restoreDeadLetterQueue } = setUp();
  let runs = 0;
  await subscriber.consume(() => {
    runs++;
    throw new NonRetryableError('no');
  });
  await transport.deleteQueue(dlq.queue); // its copy is now unroutable
  await new Publisher(transport).send({ n: 1 }, `${id}.made`, { messageId: 'm-1' });
  await waitFor(() => errors.length >= 2, 5000, 'two failed attempts to publish the dead letter');
  expect(errors[0]!.message).toMatch(
    /dead letter of message m-1 .*retrying in \d+ ms, without running the handler/,
  );
  expect(await transport.queueStats(`${id}.queue`)).toMatchObject({ messageCount: 0 }); // held, unacked

  await restoreDeadLetterQueue();
  await waitFor(() => settled.length === 1, 10_000, 'the dead letter');
  expect(settled[0]).toMatchObject({ outcome: 'dead-lettered', reason: 'non-retryable', attempt: 1 });
  expect(runs).toBe(1);
  expect((await transport.get(dlq.queue))?.properties.messageId).toBe('m-1');
  await subscriber.close();
  expect(await transport.queueStats(`${id}.queue`)).toMatchObject({ messageCount: 0 });
});

it('closed while the copy is retried: the message goes back, and comes back to be dead-lettered unhandled', async () => {
  const { transport, id, subscriber, settled, errors, dlq, restoreDeadLetterQueue } = setUp();
  let runs = 0;
  const handler = () => {
    runs++;
    throw new NonRetryableError('no');
  };
  await subscriber.consume(handler);
  await transport.deleteQueue(dlq.queue);
  await new Publisher(transport).send({ n: 1 }, `${id}.made`, { messageId: 'm-2' });
  await waitFor(() => errors.length >= 1, 5000, 'a failed attempt to publish the dead letter');
  await subscriber.close(); // gives the message back to its queue
  expect(await transport.queueStats(`${id}.queue`)).toMatchObject({ messageCount: 1 });
  expect(settled).toEqual([]);

  await restoreDeadLetterQueue();
  await subscriber.consume(handler);
  await waitFor(() => settled.length === 1, 10_000, 'the dead letter');
  expect(settled[0]).toMatchObject({ outcome: 'dead-lettered', reason: 'non-retryable', messageId: 'm-2' });
  expect(runs).toBe(1);
  expect((await transport.get(dlq.queue))?.properties.messageId).toBe('m-2');
  await subscriber.close();
});
