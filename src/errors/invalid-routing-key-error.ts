import { InvalidArgumentError } from './invalid-argument-error.js';

/**
 * A routing key must have at least two non-empty dot-separated parts (`order.created`): the first part
 * names the exchange, as in the seed library.
 */
export class InvalidRoutingKeyError extends InvalidArgumentError {
  override readonly name = 'InvalidRoutingKeyError';
  override readonly code = 'ERR_TIDINGS_INVALID_ROUTING_KEY';

  constructor(
    readonly routingKey: unknown,
    reason: string,
  ) {
    super(`Invalid routing key ${JSON.stringify(routingKey) ?? String(routingKey)}: ${reason}`);
  }
}
