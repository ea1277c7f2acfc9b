import { fromArchiveJson, toArchiveJson } from '../../messaging/dead-letters/archive-json.js';
import type { MessageProperties } from '../../messaging/transport.js';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { describeValue } from '../../internal/options.js';
import type { ClaimedRow, OutboxMessage } from '../../messaging/outbox/outbox.js';
import { assertOutboxMessage } from '../../messaging/outbox/outbox-message.js';
import { toJson, UUID } from './mysql-outbox-checks.js';

// How an outbox message becomes a row and a claimed row a message again. A row holds the message as
// encoded for the broker: `body` (LONGBLOB) the very bytes, `typed_headers` (text) the header table in
// the dead-letter archive's lossless typed JSON (`Date`s, `Buffer`s, bigints and amqplib's typed values
// survive, and the keys keep their order), `properties` (text) the other AMQP properties as JSON.

/** AMQP short strings (exchange, routing key) are at most 255 bytes: a longer one could never be sent. */
const MAX_SHORT_STRING_BYTES = 255;

/** What a claim returns per row, as the driver gives it (normalised here). */
export interface ClaimedRecord {
  id: string;
  exchange: string;
  routing_key: string;
  body: Uint8Array | string;
  typed_headers: string | Record<string, unknown> | null;
  properties: string | Record<string, unknown>;
  attempts: number | string | bigint;
  created_at_ms: number | string | bigint;
  lease_token: string | number | bigint;
}

/**
 * Checks every message (a bad one writes nothing) and lays them out as the parameters of the `add`
 * statement, six per row: id, exchange, routing key, body, typed headers, properties.
 */
export function addParameters(messages: readonly OutboxMessage[]): unknown[] {
  const parameters: unknown[] = [];
  for (const [index, message] of messages.entries()) {
    const where = `add: messages[${index}]`;
    assertOutboxMessage(message, where);
    if (typeof message.id !== 'string' || !UUID.test(message.id)) {
      throw new InvalidArgumentError(`${where}.id must be a UUID, got ${describeValue(message.id)}`);
    }
    assertShortString(message.exchange, `${where}.exchange`);
    assertShortString(message.routingKey, `${where}.routingKey`);
    // The id is the message id; the headers have a column of their own.
    const { headers, messageId: _ignored, ...rest } = (message.properties ?? {}) as MessageProperties;
    const { content } = message;
    parameters.push(
      message.id.toLowerCase(),
      message.exchange,
      message.routingKey,
      Buffer.isBuffer(content)
        ? content
        : Buffer.from(content.buffer, content.byteOffset, content.byteLength),
      headers == null ? null : JSON.stringify(toArchiveJson(headers)),
      toJson(rest, `${where}.properties`),
    );
  }
  return parameters;
}

export function toClaimedRow(record: ClaimedRecord): ClaimedRow {
  const properties = parseJson(record.properties) as Omit<MessageProperties, 'messageId'>;
  if (record.typed_headers !== null) {
    properties.headers = fromArchiveJson(parseJson(record.typed_headers)) as Record<string, unknown>;
  }
  return {
    id: record.id,
    exchange: record.exchange,
    routingKey: record.routing_key,
    content: toBuffer(record.body),
    properties,
    attempts: Number(record.attempts),
    createdAt: new Date(Number(record.created_at_ms)),
    leaseToken: String(record.lease_token),
  };
}

/** Drivers give a text column as a string, a few an already parsed value. */
function parseJson(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}

/** A binary column as a Buffer (mysql2 gives one; other drivers a Uint8Array). */
function toBuffer(value: Uint8Array | string): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return Buffer.from(value, 'binary');
}

function assertShortString(value: string, where: string): void {
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_SHORT_STRING_BYTES) {
    throw new InvalidArgumentError(
      `${where} is ${bytes} bytes long in UTF-8; AMQP allows at most ${MAX_SHORT_STRING_BYTES}`,
    );
  }
}
