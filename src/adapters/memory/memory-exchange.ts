import { topicMatches } from '../../messaging/routing.js';
import type { ExchangeSpec } from '../../messaging/transport.js';

export type ExchangeType = ExchangeSpec['type'];

/** An exchange as declared: what a later declaration must match. */
export interface ExchangeDefinition {
  readonly name: string;
  readonly type: ExchangeType;
  readonly durable: boolean;
}

/** Route lookups remembered per routing key; bounded so that random keys cannot grow it forever. */
const ROUTE_CACHE_LIMIT = 1000;

/**
 * An exchange and its bindings. It knows queues only by name: deleting a queue removes its bindings, so
 * a name here always refers to a live queue.
 */
export class MemoryExchange {
  /** Keyed by queue and pattern, so binding twice is a no-op, as in AMQP. */
  readonly #bindings = new Map<string, { queue: string; pattern: string }>();
  readonly #routes = new Map<string, readonly string[]>();

  constructor(readonly definition: ExchangeDefinition) {}

  bind(queue: string, pattern: string): void {
    this.#bindings.set(`${queue}\n${pattern}`, { queue, pattern });
    this.#routes.clear();
  }

  /** Removes every binding to `queue`. */
  unbindQueue(queue: string): void {
    for (const [key, binding] of this.#bindings) {
      if (binding.queue === queue) this.#bindings.delete(key);
    }
    this.#routes.clear();
  }

  /** Names of the queues a message with this routing key goes to, each once. */
  route(routingKey: string): readonly string[] {
    const cached = this.#routes.get(routingKey);
    if (cached) return cached;
    const queues = new Set<string>();
    for (const { queue, pattern } of this.#bindings.values()) {
      if (this.#matches(pattern, routingKey)) queues.add(queue);
    }
    const route = [...queues];
    if (this.#routes.size >= ROUTE_CACHE_LIMIT) this.#routes.clear();
    this.#routes.set(routingKey, route);
    return route;
  }

  #matches(pattern: string, routingKey: string): boolean {
    switch (this.definition.type) {
      case 'direct':
        return pattern === routingKey;
      case 'topic':
        return topicMatches(pattern, routingKey);
      // Fanout ignores the key. A headers exchange matches on binding arguments, which `BindingSpec`
      // cannot express; without arguments RabbitMQ's `x-match: all` of nothing matches every message.
      case 'fanout':
      case 'headers':
        return true;
    }
  }
}
