import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { describeValue } from '../../internal/options.js';
import { assertDeliveryMode, expirationMs } from '../../messaging/message-properties.js';
import type { OutgoingMessage } from '../../messaging/transport.js';

/** Checks a message before it is published, so that the broker never closes the channel over it. */
export function assertOutgoing(message: OutgoingMessage): void {
  if (typeof message !== 'object' || message === null) {
    throw new InvalidArgumentError(`publish: expected a message object, got ${describeValue(message)}`);
  }
  if (typeof message.exchange !== 'string') {
    throw new InvalidArgumentError(
      `publish: exchange must be a string, got ${describeValue(message.exchange)}`,
    );
  }
  if (typeof message.routingKey !== 'string') {
    throw new InvalidArgumentError(
      `publish: routingKey must be a string, got ${describeValue(message.routingKey)}`,
    );
  }
  if (!Buffer.isBuffer(message.content)) {
    throw new InvalidArgumentError(
      `publish: content must be a Buffer, got ${describeValue(message.content)}`,
    );
  }
  if (typeof message.properties !== 'object' || message.properties === null) {
    throw new InvalidArgumentError('publish: properties must be an object');
  }
  // RabbitMQ answers these by closing the publishing channel (406 PRECONDITION_FAILED), which fails every
  // other publish in flight on it with an unknown outcome: refuse them here, with the memory transport's
  // own checks and words.
  const { expiration, deliveryMode } = message.properties;
  if (expiration !== undefined) expirationMs(expiration, 'publish');
  if (deliveryMode !== undefined) assertDeliveryMode(deliveryMode, 'publish');
}
