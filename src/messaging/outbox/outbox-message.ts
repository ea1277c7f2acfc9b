import { encodeOutgoing, MESSAGE_OPTION_KEYS, type MessageOptions } from '../encode-outgoing.js';
import { headerTableBytes, MAX_HEADER_TABLE_BYTES } from '../header-table-size.js';
import type { MessageProperties } from '../transport.js';
import { HeadersTooLargeError } from '../../errors/headers-too-large-error.js';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { assertKnownOptions, describeValue } from '../../internal/options.js';
import type { ClaimedRow, OutboxMessage } from './outbox.js';
import { traceCreation } from '../telemetry/producer-spans.js';
import { recordingContextOf } from '../../deferred/recording-context.js';

export interface OutboxMessageOptions extends MessageOptions {
  // messageId (from MessageOptions) is the row id as well: PgOutbox requires a UUID. @defaultValue a new UUIDv7
  /** Written as `appId` and as the origin header. @defaultValue process.env.TIDINGS_APP_ID ?? 'tidings' (as `Publisher`) */
  appId?: string;
}

/**
 * Encodes a message for `Outbox.add` exactly as `Publisher.send(payload, routingKey, options)` would
 * publish it — same body bytes, properties and headers — so that the relay only has to send it. The
 * message id becomes the row id. The Bridge's outbox hook (`useOutbox`) writes its rows with this.
 *
 * @example
 * await unitOfWork.transaction(async (client) => {
 *   await client.query('UPDATE orders SET status = $2 WHERE id = $1', [order.id, 'placed']);
 *   await outbox.add([encodeOutboxMessage({ orderId: order.id }, 'order.placed', { appId: 'orders' })], client);
 * });
 */
export function encodeOutboxMessage(
  payload: unknown,
  routingKey: string,
  options: OutboxMessageOptions = {},
): OutboxMessage {
  return encodeOutboxMessageOf(undefined, payload, routingKey, options);
}

/**
 * `encodeOutboxMessage` for a recorded event: the message's trace starts where the event was recorded
 * (see `recording-context.ts`), not where the flush runs. For the Bridge's outbox hook.
 */
export function encodeOutboxMessageOf(
  event: object | undefined,
  payload: unknown,
  routingKey: string,
  options: OutboxMessageOptions = {},
): OutboxMessage {
  const where = 'encodeOutboxMessage';
  assertKnownOptions(options, [...MESSAGE_OPTION_KEYS, 'appId'], where);
  if (options.appId !== undefined && (typeof options.appId !== 'string' || options.appId === '')) {
    throw new InvalidArgumentError(
      `${where}: appId must be a non-empty string, got ${describeValue(options.appId)}`,
    );
  }
  // An absent appId is the default application id (defaults.ts), resolved by encodeOutgoing.
  const { exchange, content, properties } = encodeOutgoing(
    payload,
    routingKey,
    options,
    options.appId,
    where,
  );
  const { messageId, ...rest } = properties;
  const message = { id: messageId, exchange, routingKey, content, properties: rest };
  // Encoded inside the business transaction: the row carries the trace context of the request (when an
  // OpenTelemetry SDK is registered), and the relay publishes it with the rest of the headers.
  const recordedIn = event === undefined ? undefined : recordingContextOf(event);
  traceCreation(message, messageId, rest.headers, recordedIn);
  return message;
}

/**
 * The shape both outboxes require of a message, checked in `add` so that a bad message fails the
 * business transaction instead of becoming a row no relay can publish. A message of the previous shape
 * (`payload` instead of `content`) is named as such.
 */
export function assertOutboxMessage(message: unknown, where: string): asserts message is OutboxMessage {
  if (typeof message !== 'object' || message === null) {
    throw new InvalidArgumentError(`${where} must be an object, got ${describeValue(message)}`);
  }
  const { exchange, routingKey, content, properties } = message as Partial<
    Record<keyof OutboxMessage, unknown>
  >;
  if (typeof exchange !== 'string') {
    throw new InvalidArgumentError(`${where}.exchange must be a string, got ${describeValue(exchange)}`);
  }
  if (typeof routingKey !== 'string') {
    throw new InvalidArgumentError(`${where}.routingKey must be a string, got ${describeValue(routingKey)}`);
  }
  if (!(content instanceof Uint8Array)) {
    const legacy = content === undefined && Object.hasOwn(message, 'payload');
    throw new InvalidArgumentError(
      legacy
        ? `${where} has a "payload" and no "content": an outbox message now carries its encoded body; build it with encodeOutboxMessage(payload, routingKey, options)`
        : `${where}.content must be a Buffer or Uint8Array (the encoded body), got ${describeValue(content)}`,
    );
  }
  if (properties === undefined) return;
  if (typeof properties !== 'object' || properties === null) {
    throw new InvalidArgumentError(`${where}.properties must be an object, got ${describeValue(properties)}`);
  }
  const { headers } = properties as MessageProperties;
  if (headers == null) return;
  if (typeof headers !== 'object' || Array.isArray(headers)) {
    throw new InvalidArgumentError(
      `${where}.properties.headers must be an object, got ${describeValue(headers)}`,
    );
  }
  // Headers both transports would refuse (nested too deeply, or too large for amqplib): refused now,
  // failing the business transaction, rather than stored as a row that no relay can ever publish.
  const bytes = headerTableBytes(headers);
  if (bytes > MAX_HEADER_TABLE_BYTES) {
    const { id } = message as { id?: unknown };
    throw new HeadersTooLargeError(typeof id === 'string' ? id : undefined, bytes, MAX_HEADER_TABLE_BYTES);
  }
}

/** The message a relay publishes for a claimed row: its stored bytes and properties, the row id as message id. */
export function messageOfRow(row: ClaimedRow): { content: Buffer; properties: MessageProperties } {
  // An Outbox written against the previous interface returns `payload` rows: refused by name (the relay
  // records the failure and tries again later) rather than handed to the transport without a body.
  const stored: unknown = row.content;
  if (!(stored instanceof Uint8Array)) {
    throw new InvalidArgumentError(
      `Outbox row ${row.id} has no content: Outbox.claim must return the encoded body (ClaimedRow.content)`,
    );
  }
  // A plain Uint8Array from a custom Outbox: viewed as a Buffer (no copy), which transports expect.
  const content = Buffer.isBuffer(stored)
    ? stored
    : Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
  return { content, properties: { ...row.properties, messageId: row.id } };
}
