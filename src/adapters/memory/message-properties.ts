import { HeadersTooLargeError } from '../../errors/headers-too-large-error.js';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { assertKnownOptions, describeValue } from '../../internal/options.js';
import { headerTableBytes, MAX_HEADER_TABLE_BYTES } from '../../messaging/header-table-size.js';
import { assertDeliveryMode, assertShortString, expirationMs } from '../../messaging/message-properties.js';
import type { MessageProperties } from '../../messaging/transport.js';
import { MESSAGE_PROPERTY_KEYS } from '../../messaging/transport-keys.js';

/** Properties as the memory broker stores them: only the keys that were given, and always headers. */
export type StoredProperties = MessageProperties & { headers: Record<string, unknown> };

const STRING_PROPERTIES = [
  'contentType',
  'contentEncoding',
  'messageId',
  'correlationId',
  'appId',
  'type',
  'replyTo',
] as const;

/**
 * Checks the properties of an outgoing message the way the AMQP client and broker would, and returns an
 * independent copy: later changes by the publisher must not reach the stored message. Absent keys stay
 * absent; `deliveryMode` defaults to 2 (persistent), as the `Transport` contract says.
 */
export function storedProperties(properties: unknown, where: string): StoredProperties {
  if (properties === undefined) return { deliveryMode: 2, headers: {} };
  if (typeof properties !== 'object' || properties === null) {
    throw new InvalidArgumentError(
      `${where}: properties must be an object, got ${describeValue(properties)}`,
    );
  }
  assertKnownOptions(properties, MESSAGE_PROPERTY_KEYS, `${where} properties`);
  const given = properties as Record<string, unknown>;
  const stored: StoredProperties = { deliveryMode: 2, headers: {} };
  for (const key of STRING_PROPERTIES) {
    if (given[key] !== undefined) stored[key] = assertShortString(given[key], key, where);
  }
  const { deliveryMode, timestamp, expiration, priority, headers } = given;
  if (deliveryMode !== undefined) {
    assertDeliveryMode(deliveryMode, where);
    stored.deliveryMode = deliveryMode;
  }
  if (timestamp !== undefined) {
    if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp) || timestamp < 0) {
      throw new InvalidArgumentError(
        `${where}: timestamp must be a non-negative integer (seconds since the epoch), got ${describeValue(timestamp)}`,
      );
    }
    stored.timestamp = timestamp;
  }
  if (expiration !== undefined) {
    expirationMs(expiration, where);
    stored.expiration = expiration as string;
  }
  if (priority !== undefined) {
    if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 0 || priority > 255) {
      throw new InvalidArgumentError(
        `${where}: priority must be an integer 0-255, got ${describeValue(priority)}`,
      );
    }
    stored.priority = priority;
  }
  if (headers !== undefined) {
    stored.headers = cloneTable(headers, `${where}: headers`, 0);
    // amqplib cannot send a larger table: refused here too, so both transports agree.
    const bytes = headerTableBytes(stored.headers);
    if (bytes > MAX_HEADER_TABLE_BYTES) {
      throw new HeadersTooLargeError(stored.messageId, bytes, MAX_HEADER_TABLE_BYTES);
    }
  }
  return stored;
}

/** A copy for one delivery, so a consumer that changes it cannot change the stored message. */
export function copyProperties(properties: StoredProperties): StoredProperties {
  return { ...properties, headers: cloneTable(properties.headers, 'headers', 0) };
}

const MAX_DEPTH = 64;

/**
 * Deep-copies a header table, refusing what an AMQP field table cannot carry (functions, symbols,
 * bigints, `undefined` inside arrays). `undefined` values of a table are dropped, as amqplib does.
 */
function cloneTable(table: unknown, path: string, depth: number): Record<string, unknown> {
  if (typeof table !== 'object' || table === null || Array.isArray(table)) {
    throw new InvalidArgumentError(`${path} must be an object, got ${describeValue(table)}`);
  }
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(table)) {
    if (value !== undefined) copy[key] = cloneValue(value, `${path}.${key}`, depth + 1);
  }
  return copy;
}

function cloneValue(value: unknown, path: string, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new InvalidArgumentError(`${path} is nested too deeply (a cycle?)`);
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return value;
    case 'object':
      if (value === null) return null;
      if (Array.isArray(value)) return value.map((item, i) => cloneValue(item, `${path}[${i}]`, depth + 1));
      if (value instanceof Date) return new Date(value.getTime());
      if (value instanceof Uint8Array) return Buffer.from(value);
      return cloneTable(value, path, depth);
    default:
      throw new InvalidArgumentError(`${path} is ${describeValue(value)}, which an AMQP header cannot carry`);
  }
}
