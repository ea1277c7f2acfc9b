import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { TopologyConflictError } from '../../errors/topology-conflict-error.js';
import { UnroutableError } from '../../errors/unroutable-error.js';
import { deadLetteredCopy, isDeathCycle } from './dead-letter.js';
import { MemoryExchange, type ExchangeDefinition } from './memory-exchange.js';
import { MemoryQueue, type QueueDefinition } from './memory-queue.js';
import type { BrokerDeathReason, StoredMessage } from './stored-message.js';
import { exchangeConflict, queueConflict, topologyDefinition } from './topology-spec.js';

/** The exchanges every RabbitMQ virtual host starts with. */
const PREDECLARED: readonly ExchangeDefinition[] = [
  { name: 'amq.direct', type: 'direct', durable: true },
  { name: 'amq.fanout', type: 'fanout', durable: true },
  { name: 'amq.topic', type: 'topic', durable: true },
  { name: 'amq.headers', type: 'headers', durable: true },
  { name: 'amq.match', type: 'headers', durable: true },
];

/**
 * An embedded message broker with RabbitMQ's semantics: topic, direct, fanout and default-exchange
 * routing, per-queue and per-message TTL, dead-lettering with `x-death` headers. Several
 * `MemoryTransport`s sharing one broker are like several services connected to one RabbitMQ.
 *
 * Everything lives in process memory: nothing survives a restart, whatever `durable` says.
 *
 * @example
 * const broker = new MemoryBroker();
 * const orders = new MemoryTransport({ broker });
 * const billing = new MemoryTransport({ broker }); // sees what `orders` publishes
 */
export class MemoryBroker {
  /**
   * The process-wide broker a `MemoryTransport` uses when it is given none.
   * @example
   * afterEach(() => MemoryBroker.default.reset()); // a clean broker for every test
   */
  static get default(): MemoryBroker {
    return processWideBroker();
  }

  readonly #exchanges = new Map<string, MemoryExchange>();
  readonly #queues = new Map<string, MemoryQueue>();

  constructor() {
    this.#predeclare();
  }

  /**
   * Deletes every queue (with its messages and timers; consumers are told, as when a queue is deleted)
   * and every exchange, leaving the broker as new.
   * @example
   * MemoryBroker.default.reset();
   */
  reset(): void {
    for (const name of [...this.#queues.keys()]) this.deleteQueue(name);
    this.#exchanges.clear();
    this.#predeclare();
  }

  /**
   * Declares exchanges, then queues, then bindings. An existing exchange or queue must have been declared
   * with the same arguments (`TopologyConflictError`, like AMQP's 406); bindings need both ends.
   * @internal Use `MemoryTransport.declare`.
   */
  declare(topology: unknown): void {
    const { exchanges, queues, bindings } = topologyDefinition(topology);
    for (const definition of exchanges) this.#declareExchange(definition);
    for (const definition of queues) this.#declareQueue(definition);
    for (const { queue, exchange, pattern } of bindings) {
      this.requireQueue(queue, 'declare');
      this.#requireExchange(exchange, 'declare').bind(queue, pattern);
    }
  }

  /**
   * Enqueues a message in every queue its exchange routes it to, or throws `UnroutableError` (also when
   * the exchange does not exist, with `NOT_FOUND` as reply text). Returning is the confirm.
   * @internal Use `MemoryTransport.publish`.
   */
  publish(message: StoredMessage): void {
    const queues = this.#route(message.exchange, message.routingKey);
    if (queues === undefined) {
      throw new UnroutableError(
        message.exchange,
        message.routingKey,
        message.properties.messageId,
        `NOT_FOUND - no exchange '${message.exchange}'`,
      );
    }
    if (queues.length === 0) {
      throw new UnroutableError(message.exchange, message.routingKey, message.properties.messageId);
    }
    const now = Date.now();
    for (const queue of queues) queue.enqueue(message, now);
  }

  /** @internal */
  queue(name: string): MemoryQueue | undefined {
    return this.#queues.get(name);
  }

  /** @internal */
  requireQueue(name: string, where: string): MemoryQueue {
    const queue = this.#queues.get(name);
    if (!queue) throw notFound('queue', name, where);
    return queue;
  }

  /** Deletes a queue with its messages and bindings; its consumers are cancelled. Idempotent. @internal */
  deleteQueue(name: string): void {
    const queue = this.#queues.get(name);
    if (!queue) return;
    this.#queues.delete(name);
    for (const exchange of this.#exchanges.values()) exchange.unbindQueue(name);
    queue.delete();
  }

  /** Deletes an exchange with its bindings. Idempotent. @internal */
  deleteExchange(name: string): void {
    if (name === '' || name.startsWith('amq.')) {
      throw new InvalidArgumentError(
        `deleteExchange: the exchange "${name}" is built in and cannot be deleted`,
      );
    }
    this.#exchanges.delete(name);
  }

  #declareExchange(definition: ExchangeDefinition): void {
    const existing = this.#exchanges.get(definition.name);
    if (existing) {
      const conflict = exchangeConflict(existing.definition, definition);
      if (conflict) throw new TopologyConflictError('exchange', definition.name, conflict);
      return;
    }
    assertNotReserved('exchange', definition.name);
    this.#exchanges.set(definition.name, new MemoryExchange(definition));
  }

  #declareQueue(definition: QueueDefinition): void {
    const existing = this.#queues.get(definition.name);
    if (existing) {
      const conflict = queueConflict(existing.definition, definition);
      if (conflict) throw new TopologyConflictError('queue', definition.name, conflict);
      return;
    }
    assertNotReserved('queue', definition.name);
    this.#queues.set(
      definition.name,
      new MemoryQueue(definition, (queue, message, reason) => this.#deadLetter(queue, message, reason)),
    );
  }

  #requireExchange(name: string, where: string): MemoryExchange {
    const exchange = this.#exchanges.get(name);
    if (!exchange) throw notFound('exchange', name, where);
    return exchange;
  }

  /** The queues a message goes to, or `undefined` when the exchange does not exist. */
  #route(exchangeName: string, routingKey: string): MemoryQueue[] | undefined {
    if (exchangeName === '') {
      const queue = this.#queues.get(routingKey);
      return queue ? [queue] : [];
    }
    const exchange = this.#exchanges.get(exchangeName);
    if (!exchange) return undefined;
    const queues: MemoryQueue[] = [];
    for (const name of exchange.route(routingKey)) {
      const queue = this.#queues.get(name);
      if (queue) queues.push(queue);
    }
    return queues;
  }

  /**
   * Republishes a rejected or expired message to its queue's dead-letter exchange. As in RabbitMQ, a
   * message with nowhere to go (no dead-letter exchange, a missing one, no binding, a cycle) is dropped.
   */
  #deadLetter(queue: MemoryQueue, message: StoredMessage, reason: BrokerDeathReason): void {
    const { deadLetterExchange, deadLetterRoutingKey } = queue.definition;
    if (deadLetterExchange === undefined) return;
    const now = Date.now();
    const routingKey = deadLetterRoutingKey ?? message.routingKey;
    const copy = deadLetteredCopy(message, {
      queue: queue.name,
      reason,
      exchange: deadLetterExchange,
      routingKey,
      now,
    });
    for (const target of this.#route(deadLetterExchange, routingKey) ?? []) {
      if (!isDeathCycle(target.name, copy.deaths)) target.enqueue(copy, now);
    }
  }

  #predeclare(): void {
    for (const definition of PREDECLARED)
      this.#exchanges.set(definition.name, new MemoryExchange(definition));
  }
}

/** RabbitMQ refuses to create names starting with `amq.` (403 ACCESS_REFUSED). */
function assertNotReserved(kind: 'exchange' | 'queue', name: string): void {
  if (name.startsWith('amq.')) {
    throw new InvalidArgumentError(`declare: the ${kind} name "${name}" uses the reserved prefix "amq."`);
  }
}

/**
 * AMQP answers a missing queue or exchange with 404 NOT_FOUND. tidings has no typed error for it yet;
 * the message names what is missing.
 */
function notFound(kind: 'exchange' | 'queue', name: string, where: string): InvalidArgumentError {
  return new InvalidArgumentError(`${where}: NOT_FOUND - no ${kind} '${name}' (declare it first)`);
}

// Outside the class: a class that names itself inside its body is renamed by the ES module bundle
// (scripts/bundle-esm.mjs).
let defaultBroker: MemoryBroker | undefined;
function processWideBroker(): MemoryBroker {
  return (defaultBroker ??= new MemoryBroker());
}
