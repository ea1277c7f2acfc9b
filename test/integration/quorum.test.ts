import { randomUUID } from 'node:crypto';
import { afterAll, expect, it } from 'vitest';
import {
  AmqpTransport,
  Publisher,
  Subscriber,
  TopologyConflictError,
  type SettledOutcome,
} from '../../src/index.js';
import { waitFor } from '../bridge/bridge-scenarios.js';
import { AMQP_URL } from './servers.js';

const transport = new AmqpTransport({ url: AMQP_URL });
const id = `q${randomUUID().slice(0, 8)}`;

afterAll(async () => {
  for (const queue of [`${id}.quorum`, `${id}.quorum.wait.30ms`, `${id}-app.dead-letters`])
    await transport.deleteQueue(queue);
  for (const exchange of [id, `${id}-app.dead-letter`]) await transport.deleteExchange(exchange);
  await transport.close();
});

it("queueType 'quorum' declares quorum queues that repeat and dead-letter like classic ones", async () => {
  const subscriber = new Subscriber(transport, {
    appId: `${id}-app`,
    queue: `${id}.quorum`,
    routes: [`${id}.made`],
    queueType: 'quorum',
    repeatDelaysMs: [30],
    maxAttempts: 2,
  });
  const settled: SettledOutcome[] = [];
  subscriber.on('settled', (outcome) => settled.push(outcome));
  await subscriber.subscribe(() => {
    throw new Error('no');
  });
  await new Publisher(transport).send({ n: 1 }, `${id}.made`);
  await waitFor(
    () => settled.find((outcome) => outcome.outcome === 'dead-lettered'),
    10_000,
    'the dead letter',
  );
  expect(settled.map((outcome) => outcome.outcome)).toEqual(['repeated', 'dead-lettered']);
  await subscriber.close();

  // The queue exists as a quorum queue: declaring it classic again is a conflict, reported, not "fixed".
  const error = await transport
    .declare({ queues: [{ name: `${id}.quorum`, queueType: 'classic' }] })
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(TopologyConflictError);
  expect((error as TopologyConflictError).detail).toMatch(/x-queue-type|x-dead-letter-exchange/);
  expect(await transport.queueStats(`${id}.quorum`)).toMatchObject({ messageCount: 0 });
});
