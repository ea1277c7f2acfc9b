import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { Publisher, Consumer, TopologyConflictError, type SettledOutcome } from '../../src/index.js';
import { AmqpTransport } from '../../src/rabbitmq.js';
import { waitFor } from '../bridge/bridge-scenarios.js';
import { deleteDeclared, subscriberNames } from '../helpers/declared-names.js';
import { AMQP_URL } from './servers.js';

const run = promisify(execFile);
const transport = new AmqpTransport({ url: AMQP_URL });
const id = `q${randomUUID().slice(0, 8)}`;

afterAll(async () => {
  await deleteDeclared(
    transport,
    subscriberNames({
      appId: `${id}-app`,
      queue: `${id}.quorum`,
      bindingKeys: [`${id}.made`],
      repeatDelaysMs: [30],
    }),
  );
  await transport.close();
});

it("queueType 'quorum' declares quorum queues that repeat and dead-letter like classic ones", async () => {
  const subscriber = new Consumer(transport, {
    appId: `${id}-app`,
    queue: `${id}.quorum`,
    bindingKeys: [`${id}.made`],
    queueType: 'quorum',
    repeatDelaysMs: [30],
    maxAttempts: 2,
  });
  const settled: SettledOutcome[] = [];
  subscriber.on('settled', (outcome) => settled.push(outcome));
  await subscriber.consume(() => {
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

  // Quorum all the way: the dead-letter queue too, and the dead-lettering queues at least once. RabbitMQ
  // accepts the same declaration again (as after a reconnect), and refuses one without the strategy.
  const { stdout } = await run('rabbitmqctl', [
    'list_queues',
    '--quiet',
    '--formatter',
    'json',
    'name',
    'type',
    'arguments',
  ]);
  // rabbitmqctl lists arguments as [name, type, value] triples.
  type Listed = { name: string; type: string; arguments: [string, string, unknown][] };
  const queues = new Map(
    (JSON.parse(stdout) as Listed[]).map((queue) => [
      queue.name,
      {
        type: queue.type,
        arguments: Object.fromEntries(queue.arguments.map(([key, , value]) => [key, value])),
      },
    ]),
  );
  expect(queues.get(`${id}-app.dead-letters`)?.type).toBe('quorum');
  for (const name of [`${id}.quorum`, `${id}.quorum.wait.30ms`]) {
    expect(queues.get(name)).toMatchObject({
      type: 'quorum',
      arguments: { 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' },
    });
  }
  await transport.declare({
    queues: [
      {
        name: `${id}.quorum`,
        queueType: 'quorum',
        deadLetterExchange: `${id}-app.dead-letter`,
        deadLetterStrategy: 'at-least-once',
      },
    ],
  });

  // The queue exists as a quorum queue: declaring it classic again is a conflict, reported, not "fixed".
  const error = await transport
    .declare({ queues: [{ name: `${id}.quorum`, queueType: 'classic' }] })
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(TopologyConflictError);
  expect((error as TopologyConflictError).detail).toMatch(/x-queue-type|x-dead-letter-exchange/);
  expect(await transport.queueStats(`${id}.quorum`)).toMatchObject({ messageCount: 0 });
});
