import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { describeValue } from '../internal/options.js';

// Checks both transports make of what is published, with the same messages: the memory transport must
// refuse what amqplib or RabbitMQ would, and the contract suite holds them to the same words.

/** AMQP `shortstr` fields (names, routing keys, most properties) hold at most 255 bytes. */
export function assertShortString(value: unknown, name: string, where: string): string {
  if (typeof value !== 'string') {
    throw new InvalidArgumentError(`${where}: ${name} must be a string, got ${describeValue(value)}`);
  }
  if (Buffer.byteLength(value) > 255) {
    throw new InvalidArgumentError(`${where}: ${name} is longer than 255 bytes`);
  }
  return value;
}

/** `deliveryMode` is 1 (transient) or 2 (persistent); RabbitMQ closes the channel over anything else. */
export function assertDeliveryMode(deliveryMode: unknown, where: string): asserts deliveryMode is 1 | 2 {
  if (deliveryMode !== 1 && deliveryMode !== 2) {
    throw new InvalidArgumentError(
      `${where}: deliveryMode must be 1 or 2, got ${describeValue(deliveryMode)}`,
    );
  }
}

/** The per-message TTL in milliseconds of an `expiration` property (a string of digits in AMQP). */
export function expirationMs(expiration: unknown, where: string): number {
  if (typeof expiration !== 'string' || !/^\d{1,10}$/.test(expiration) || Number(expiration) > 0xffffffff) {
    throw new InvalidArgumentError(
      `${where}: expiration must be a string of milliseconds such as "5000", got ${describeValue(expiration)}`,
    );
  }
  return Number(expiration);
}
