import { InvalidContentError } from '../../errors/invalid-content-error.js';
import { headerTableBytes } from '../header-table-size.js';
import type { DecidedCopy } from './settle-decisions.js';
import type { Delivery, MessageProperties } from '../transport.js';

const STRING_PROPERTIES = [
  'contentType',
  'contentEncoding',
  'correlationId',
  'appId',
  'type',
  'replyTo',
] as const;

/**
 * The properties of a copy (repeat, dead letter) of a delivery: the original's, with the given id and
 * headers, without `expiration` (a copy must not expire on its way), and only values a transport accepts.
 * A foreign publisher may have sent what tidings never would (RabbitMQ passes on a `deliveryMode` it does
 * not know, for one): such a value is left out, and a `deliveryMode` other than 1 or 2 becomes 2
 * (persistent), so that the copy can be published at all.
 */
export function copyProperties(
  properties: MessageProperties,
  messageId: string,
  headers: Record<string, unknown>,
): MessageProperties {
  const copy: MessageProperties = {};
  for (const key of STRING_PROPERTIES) {
    const value = properties[key];
    if (typeof value === 'string') copy[key] = value;
  }
  copy.deliveryMode = properties.deliveryMode === 1 ? 1 : 2;
  copy.messageId = messageId;
  const { timestamp, priority } = properties;
  if (Number.isSafeInteger(timestamp) && timestamp! >= 0) copy.timestamp = timestamp;
  if (Number.isInteger(priority) && priority! >= 0 && priority! <= 255) copy.priority = priority;
  copy.headers = headers;
  return copy;
}

/** Why a message is dead-lettered without its headers when the transport refused its copy for good. */
export function refusedCopyError(copy: DecidedCopy, error: Error): InvalidContentError {
  const kind = copy.exchange === '' ? 'repeat' : 'dead letter';
  return new InvalidContentError(`The ${kind} of this message cannot be published: ${error.message}`, {
    cause: error,
  });
}

/** The size of a delivery's header table as received, else as encoded; 0 when it cannot be measured. */
export function receivedHeaderBytes(delivery: Delivery): number {
  if (delivery.headerBytes !== undefined) return delivery.headerBytes;
  try {
    return headerTableBytes(delivery.properties.headers);
  } catch {
    return 0; // nested too deeply to measure
  }
}
