import { exchangeOf } from '../routing.js';
import { waitQueueName, type DeadLetterNames } from '../names.js';
import type { QueueSpec, Topology } from '../transport.js';

export interface ConsumerTopologyInput {
  queue: string;
  bindingKeys: readonly string[];
  deadLetter: DeadLetterNames;
  repeatDelaysMs: readonly number[];
  queueType?: 'classic' | 'quorum' | undefined;
  messageTtlMs?: number | undefined;
}

/**
 * Everything one consumed queue needs on the broker:
 * - the common dead-letter exchange (fanout) and queue of the application;
 * - one topic exchange per route's first part, and the queue bound to it with the route as pattern;
 * - the queue itself, durable, dead-lettering (expired, rejected) into the common exchange;
 * - one wait queue per repeat delay: its TTL dead-letters copies back to the queue through the default
 *   exchange, so a repeat reaches this queue only, never the other queues bound to the same key.
 *
 * With `queueType: 'quorum'` every one of these queues is a quorum queue, the dead-letter queue included
 * (a classic one lives on one node, and dead letters would stall with it), and the queues that
 * dead-letter do so at least once: a copy stays in its queue until the target confirmed it.
 */
export function consumerTopology(input: ConsumerTopologyInput): Topology {
  const exchanges = [...new Set(input.bindingKeys.map((route) => exchangeOf(route)))];
  const quorum = input.queueType === 'quorum';
  const type = input.queueType !== undefined ? { queueType: input.queueType } : {};
  const dlxStrategy = quorum ? { deadLetterStrategy: 'at-least-once' as const } : {};
  const mainQueue: QueueSpec = {
    name: input.queue,
    durable: true,
    deadLetterExchange: input.deadLetter.exchange,
    ...type,
    ...dlxStrategy,
    ...(input.messageTtlMs !== undefined ? { messageTtlMs: input.messageTtlMs } : {}),
  };
  const waitQueues: QueueSpec[] = [...new Set(input.repeatDelaysMs.filter((delay) => delay > 0))].map(
    (delay) => ({
      name: waitQueueName(input.queue, delay),
      durable: true,
      messageTtlMs: delay,
      deadLetterExchange: '',
      deadLetterRoutingKey: input.queue,
      ...type,
      ...dlxStrategy,
    }),
  );
  return {
    exchanges: [
      { name: input.deadLetter.exchange, type: 'fanout', durable: true },
      ...exchanges.map((name) => ({ name, type: 'topic' as const, durable: true })),
    ],
    queues: [
      { name: input.deadLetter.queue, durable: true, ...(quorum ? { queueType: 'quorum' as const } : {}) },
      mainQueue,
      ...waitQueues,
    ],
    bindings: [
      { queue: input.deadLetter.queue, exchange: input.deadLetter.exchange, pattern: '#' },
      ...input.bindingKeys.map((route) => ({
        queue: input.queue,
        exchange: exchangeOf(route),
        pattern: route,
      })),
    ],
  };
}
