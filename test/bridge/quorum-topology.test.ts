import { expect, it } from 'vitest';
import { InvalidArgumentError, MemoryTransport, TopologyConflictError } from '../../src/index.js';
import { queueArguments } from '../../src/adapters/rabbitmq/topology.js';
import { consumerTopology } from '../../src/messaging/consumer/consumer-topology.js';

const deadLetter = { exchange: 'app.dead-letter', queue: 'app.dead-letters' };

it("queueType 'quorum' makes every queue quorum, the dead-letter queue included, dead-lettering at least once", () => {
  const topology = consumerTopology({
    queue: 'billing.orders',
    bindingKeys: ['order.placed'],
    deadLetter,
    repeatDelaysMs: [100, 1000],
    queueType: 'quorum',
  });
  const byName = Object.fromEntries((topology.queues ?? []).map((queue) => [queue.name, queue]));
  expect(byName['app.dead-letters']).toEqual({
    name: 'app.dead-letters',
    durable: true,
    queueType: 'quorum',
  });
  for (const name of ['billing.orders', 'billing.orders.wait.100ms', 'billing.orders.wait.1000ms']) {
    expect(byName[name]).toMatchObject({ queueType: 'quorum', deadLetterStrategy: 'at-least-once' });
    expect(queueArguments(byName[name]!)).toMatchObject({
      'x-queue-type': 'quorum',
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
    });
  }
});

it('classic subscriber queues keep their arguments (no strategy, no overflow)', () => {
  const topology = consumerTopology({
    queue: 'billing.orders',
    bindingKeys: ['order.placed'],
    deadLetter,
    repeatDelaysMs: [100],
  });
  for (const queue of topology.queues ?? []) {
    expect(queue.deadLetterStrategy).toBeUndefined();
    expect(queue.queueType).toBeUndefined();
    expect(Object.keys(queueArguments(queue))).not.toContain('x-overflow');
  }
});

it("deadLetterStrategy 'at-least-once' is refused on a classic queue, and a changed strategy conflicts", async () => {
  const transport = new MemoryTransport();
  await expect(
    transport.declare({ queues: [{ name: 'q-classic', deadLetterStrategy: 'at-least-once' }] }),
  ).rejects.toThrow(InvalidArgumentError);
  await expect(
    transport.declare({
      queues: [{ name: 'q-odd', queueType: 'quorum', deadLetterStrategy: 'sometimes' as never }],
    }),
  ).rejects.toThrow(/must be 'at-most-once' or 'at-least-once'/);
  await transport.declare({
    queues: [{ name: 'q-quorum', queueType: 'quorum', deadLetterStrategy: 'at-least-once' }],
  });
  await expect(transport.declare({ queues: [{ name: 'q-quorum', queueType: 'quorum' }] })).rejects.toThrow(
    TopologyConflictError,
  );
  await transport.close();
});
