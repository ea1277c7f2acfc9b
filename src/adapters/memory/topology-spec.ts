import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { assertKnownOptions, describeValue } from '../../internal/options.js';
import { assertDeadLetterStrategy } from '../../messaging/dead-letter-strategy.js';
import type { BindingSpec, Topology } from '../../messaging/transport.js';
import {
  BINDING_SPEC_KEYS,
  EXCHANGE_SPEC_KEYS,
  QUEUE_SPEC_KEYS,
  TOPOLOGY_KEYS,
} from '../../messaging/transport-keys.js';
import type { ExchangeDefinition } from './memory-exchange.js';
import type { QueueDefinition } from './memory-queue.js';
import { assertShortString } from '../../messaging/message-properties.js';

const EXCHANGE_TYPES = ['topic', 'direct', 'fanout', 'headers'] as const;
/** RabbitMQ's upper bound for `x-message-ttl`. */
const MAX_TTL_MS = 0xffffffff;

/** A validated topology, ready to declare in order. */
export interface TopologyDefinition {
  readonly exchanges: readonly ExchangeDefinition[];
  readonly queues: readonly QueueDefinition[];
  readonly bindings: readonly BindingSpec[];
}

/**
 * Checks a whole topology before anything is declared, so that a typo in the last binding does not leave
 * half of it behind. Names the offending entry and field.
 */
export function topologyDefinition(topology: unknown): TopologyDefinition {
  if (typeof topology !== 'object' || topology === null) {
    throw new InvalidArgumentError(`declare: the topology must be an object, got ${describeValue(topology)}`);
  }
  assertKnownOptions(topology, TOPOLOGY_KEYS, 'declare');
  const { exchanges = [], queues = [], bindings = [] } = topology as Topology;
  return {
    exchanges: listOf(exchanges, 'exchanges').map((spec, i) =>
      exchangeDefinition(spec, `declare: exchanges[${i}]`),
    ),
    queues: listOf(queues, 'queues').map((spec, i) => queueDefinition(spec, `declare: queues[${i}]`)),
    bindings: listOf(bindings, 'bindings').map((spec, i) =>
      bindingDefinition(spec, `declare: bindings[${i}]`),
    ),
  };
}

/** A queue name as every operation takes it: a non-empty string of at most 255 bytes. */
export function assertQueueName(name: unknown, where: string): string {
  assertShortString(name, 'the queue name', where);
  if (name === '') throw new InvalidArgumentError(`${where}: the queue name must not be empty`);
  return name as string;
}

/** The argument that differs between two declarations of an exchange, as RabbitMQ would name it. */
export function exchangeConflict(
  current: ExchangeDefinition,
  wanted: ExchangeDefinition,
): string | undefined {
  return (
    inequivalent('type', 'type', wanted.type, current.type) ??
    inequivalent('durable', 'durable', wanted.durable, current.durable)
  );
}

/** The argument that differs between two declarations of a queue, as RabbitMQ would name it. */
export function queueConflict(current: QueueDefinition, wanted: QueueDefinition): string | undefined {
  return (
    inequivalent('durable', 'durable', wanted.durable, current.durable) ??
    inequivalent('x-queue-type', 'queueType', wanted.queueType, current.queueType) ??
    inequivalent(
      'x-dead-letter-exchange',
      'deadLetterExchange',
      wanted.deadLetterExchange,
      current.deadLetterExchange,
    ) ??
    inequivalent(
      'x-dead-letter-routing-key',
      'deadLetterRoutingKey',
      wanted.deadLetterRoutingKey,
      current.deadLetterRoutingKey,
    ) ??
    inequivalent('x-message-ttl', 'messageTtlMs', wanted.messageTtlMs, current.messageTtlMs) ??
    inequivalent(
      'x-dead-letter-strategy',
      'deadLetterStrategy',
      wanted.deadLetterStrategy,
      current.deadLetterStrategy,
    )
  );
}

type ArgValue = string | number | boolean | undefined;

function inequivalent(
  arg: string,
  option: string,
  received: ArgValue,
  current: ArgValue,
): string | undefined {
  if (received === current) return undefined;
  const show = (value: ArgValue): string => (value === undefined ? 'none' : `'${String(value)}'`);
  return `inequivalent arg '${arg}' (${option}): received ${show(received)} but current is ${show(current)}`;
}

function listOf(value: unknown, name: string): readonly unknown[] {
  if (!Array.isArray(value)) {
    throw new InvalidArgumentError(`declare: ${name} must be an array, got ${describeValue(value)}`);
  }
  return value;
}

function exchangeDefinition(spec: unknown, where: string): ExchangeDefinition {
  specObject(spec, where);
  assertKnownOptions(spec, EXCHANGE_SPEC_KEYS, where);
  const { name, type, durable = true } = spec as Record<string, unknown>;
  assertShortString(name, 'name', where);
  if (name === '') {
    throw new InvalidArgumentError(`${where}: the default exchange '' cannot be declared (it always exists)`);
  }
  if (!EXCHANGE_TYPES.includes(type as never)) {
    throw new InvalidArgumentError(
      `${where}: type must be one of ${EXCHANGE_TYPES.join(', ')}, got ${describeValue(type)}`,
    );
  }
  return {
    name: name as string,
    type: type as ExchangeDefinition['type'],
    durable: flag(durable, 'durable', where),
  };
}

function queueDefinition(spec: unknown, where: string): QueueDefinition {
  specObject(spec, where);
  assertKnownOptions(spec, QUEUE_SPEC_KEYS, where);
  const given = spec as Record<string, unknown>;
  const name = assertQueueName(given.name, where);
  const durable = flag(given.durable ?? true, 'durable', where);
  const { deadLetterExchange, deadLetterRoutingKey, messageTtlMs, queueType = 'classic' } = given;
  if (deadLetterExchange !== undefined) assertShortString(deadLetterExchange, 'deadLetterExchange', where);
  if (deadLetterRoutingKey !== undefined) {
    assertShortString(deadLetterRoutingKey, 'deadLetterRoutingKey', where);
    if (deadLetterExchange === undefined) {
      // RabbitMQ refuses this too (406): the key would be silently ignored.
      throw new InvalidArgumentError(
        `${where}: deadLetterRoutingKey needs a deadLetterExchange ('' for the default)`,
      );
    }
  }
  if (
    messageTtlMs !== undefined &&
    (typeof messageTtlMs !== 'number' ||
      !Number.isInteger(messageTtlMs) ||
      messageTtlMs < 0 ||
      messageTtlMs > MAX_TTL_MS)
  ) {
    throw new InvalidArgumentError(
      `${where}: messageTtlMs must be an integer from 0 to ${MAX_TTL_MS}, got ${describeValue(messageTtlMs)}`,
    );
  }
  if (queueType !== 'classic' && queueType !== 'quorum') {
    throw new InvalidArgumentError(
      `${where}: queueType must be 'classic' or 'quorum', got ${describeValue(queueType)}`,
    );
  }
  if (queueType === 'quorum' && !durable) {
    throw new InvalidArgumentError(`${where}: a quorum queue must be durable`);
  }
  const deadLetterStrategy = assertDeadLetterStrategy(name, queueType, given.deadLetterStrategy);
  return {
    name,
    durable,
    deadLetterExchange: deadLetterExchange as string | undefined,
    deadLetterRoutingKey: deadLetterRoutingKey as string | undefined,
    messageTtlMs: messageTtlMs,
    queueType,
    deadLetterStrategy,
  };
}

function bindingDefinition(spec: unknown, where: string): BindingSpec {
  specObject(spec, where);
  assertKnownOptions(spec, BINDING_SPEC_KEYS, where);
  const { queue, exchange, pattern } = spec as Record<string, unknown>;
  assertQueueName(queue, where);
  assertShortString(exchange, 'exchange', where);
  if (exchange === '') {
    throw new InvalidArgumentError(
      `${where}: queues cannot be bound to the default exchange '' (it routes by name)`,
    );
  }
  assertShortString(pattern, 'pattern', where);
  return { queue: queue as string, exchange: exchange as string, pattern: pattern as string };
}

function specObject(spec: unknown, where: string): asserts spec is object {
  if (typeof spec !== 'object' || spec === null) {
    throw new InvalidArgumentError(`${where} must be an object, got ${describeValue(spec)}`);
  }
}

function flag(value: unknown, name: string, where: string): boolean {
  if (typeof value !== 'boolean') {
    throw new InvalidArgumentError(`${where}: ${name} must be a boolean, got ${describeValue(value)}`);
  }
  return value;
}
