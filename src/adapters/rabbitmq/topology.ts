import type { Channel, ChannelModel } from 'amqplib';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { TopologyConflictError } from '../../errors/topology-conflict-error.js';
import { assertKnownOptions, describeValue } from '../../internal/options.js';
import { assertDeadLetterStrategy } from '../../messaging/dead-letter-strategy.js';
import type { QueueSpec, Topology } from '../../messaging/transport.js';
import {
  BINDING_SPEC_KEYS,
  EXCHANGE_SPEC_KEYS,
  QUEUE_SPEC_KEYS,
  TOPOLOGY_KEYS,
} from '../../messaging/transport-keys.js';

/**
 * AMQP reply codes after which connecting again cannot help: wrong credentials (403 ACCESS_REFUSED)
 * and a virtual host that does not exist or is not allowed (530 NOT_ALLOWED).
 */
export const UNRECOVERABLE_CONNECTION_CODES: readonly number[] = [403, 530];

/** The AMQP reply code of an amqplib error (`code`, or the number in "… 406 (PRECONDITION-FAILED) …"). */
export function amqpErrorCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'number') return code;
  const match = error instanceof Error ? /\b(\d{3}) \([A-Z-]+\)/.exec(error.message) : null;
  return match ? Number(match[1]) : undefined;
}

/** The broker's own explanation inside an amqplib error message. */
export function amqpErrorDetail(message: string): string {
  const match = /with message "(.*)"$/s.exec(message);
  return match ? match[1]! : message;
}

/** Declares exchanges, then queues, then bindings, on a channel of its own. */
export async function declareTopology(connection: ChannelModel, topology: Topology): Promise<void> {
  assertTopology(topology);
  const channel: Channel = await connection.createChannel();
  channel.on('error', () => {});
  let current: { kind: 'exchange' | 'queue'; name: string } = { kind: 'exchange', name: '' };
  try {
    for (const exchange of topology.exchanges ?? []) {
      current = { kind: 'exchange', name: exchange.name };
      await channel.assertExchange(exchange.name, exchange.type, { durable: exchange.durable ?? true });
    }
    for (const queue of topology.queues ?? []) {
      current = { kind: 'queue', name: queue.name };
      await channel.assertQueue(queue.name, {
        durable: queue.durable ?? true,
        arguments: queueArguments(queue),
      });
    }
    for (const binding of topology.bindings ?? []) {
      current = { kind: 'queue', name: binding.queue };
      await channel.bindQueue(binding.queue, binding.exchange, binding.pattern);
    }
  } catch (error) {
    const code = amqpErrorCode(error);
    const detail = amqpErrorDetail(error instanceof Error ? error.message : String(error));
    if (code === 406) throw new TopologyConflictError(current.kind, current.name, detail);
    if (code === 404) throw new InvalidArgumentError(`Cannot declare the topology: ${detail}`);
    throw error;
  } finally {
    await channel.close().catch(() => {});
  }
}

export function queueArguments(queue: QueueSpec): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  if (queue.deadLetterExchange !== undefined) args['x-dead-letter-exchange'] = queue.deadLetterExchange;
  if (queue.deadLetterRoutingKey !== undefined)
    args['x-dead-letter-routing-key'] = queue.deadLetterRoutingKey;
  if (queue.messageTtlMs !== undefined) args['x-message-ttl'] = queue.messageTtlMs;
  // Only an explicit non-default type is sent: a classic queue declared without the argument must
  // stay equivalent to one declared with `queueType: 'classic'`.
  if (queue.queueType !== undefined && queue.queueType !== 'classic') args['x-queue-type'] = queue.queueType;
  if (queue.deadLetterStrategy === 'at-least-once') {
    // RabbitMQ falls back to at-most-once, without a word, unless the queue refuses publishes when full.
    args['x-dead-letter-strategy'] = 'at-least-once';
    args['x-overflow'] = 'reject-publish';
  }
  return args;
}

function assertTopology(topology: Topology): void {
  if (typeof topology !== 'object' || topology === null) {
    throw new InvalidArgumentError(`declare: expected a topology object, got ${describeValue(topology)}`);
  }
  assertKnownOptions(topology, TOPOLOGY_KEYS, 'declare');
  for (const exchange of topology.exchanges ?? []) {
    assertKnownOptions(exchange, EXCHANGE_SPEC_KEYS, 'declare: exchange');
    if (typeof exchange.name !== 'string' || exchange.name === '') {
      throw new InvalidArgumentError(
        `declare: an exchange needs a non-empty name, got ${describeValue(exchange.name)}`,
      );
    }
  }
  for (const binding of topology.bindings ?? []) {
    assertKnownOptions(binding, BINDING_SPEC_KEYS, 'declare: binding');
  }
  for (const queue of topology.queues ?? []) {
    assertKnownOptions(queue, QUEUE_SPEC_KEYS, 'declare: queue');
    assertDeadLetterStrategy(queue.name, queue.queueType, queue.deadLetterStrategy);
    if (typeof queue.name !== 'string' || queue.name === '') {
      throw new InvalidArgumentError(
        `declare: a queue needs a non-empty name, got ${describeValue(queue.name)}`,
      );
    }
    if (
      queue.messageTtlMs !== undefined &&
      !(Number.isSafeInteger(queue.messageTtlMs) && queue.messageTtlMs >= 0)
    ) {
      throw new InvalidArgumentError(
        `declare: messageTtlMs of queue "${queue.name}" must be an integer >= 0`,
      );
    }
  }
}
