import { integerOption, optionKeys } from '../internal/options.js';
import { defaultAppId } from './defaults.js';
import { encodeMessage, type EncodedMessage } from './envelope.js';
import { assertRoutingKey } from './routing.js';
import type { OutgoingMessage } from './transport.js';

/** What a message carries besides its payload and routing key; `Publisher.send` and the outbox share them. */
export interface MessageOptions {
  headers?: Record<string, unknown>;
  /** @defaultValue a new UUIDv7 */
  messageId?: string;
  correlationId?: string;
  /** The AMQP `type` property. @defaultValue the routing key */
  eventName?: string;
  /** Publish to this exchange instead of the routing key's first part. */
  exchange?: string;
  /** Per-message TTL in milliseconds: an unconsumed message expires into the dead-letter queue. */
  expirationMs?: number;
}

/** The keys of `MessageOptions`, for `assertKnownOptions`. */
export const MESSAGE_OPTION_KEYS = optionKeys<MessageOptions>({
  headers: true,
  messageId: true,
  correlationId: true,
  eventName: true,
  exchange: true,
  expirationMs: true,
});

/** @inline */
export interface EncodedOutgoing extends OutgoingMessage {
  properties: EncodedMessage['properties'];
}

/**
 * A payload as it goes to the broker: its exchange, body and properties. `Publisher.send` publishes
 * exactly this, and `encodeOutboxMessage` stores exactly this, so an event sent through the outbox is
 * the same bytes, properties and headers as the event sent directly — the relay only adds nothing.
 *
 * @param appId written as the `appId` property and the origin header; `undefined` is the default
 *   application id (`TIDINGS_APP_ID`, else `'tidings'`), as for every component, so that
 *   `encodeOutboxMessage` without an `appId` encodes what a `Publisher` without one sends.
 * @param where names the caller in errors.
 */
export function encodeOutgoing(
  payload: unknown,
  routingKey: string,
  options: MessageOptions,
  appId: string | undefined,
  where: string,
): EncodedOutgoing {
  assertRoutingKey(routingKey);
  // Checked here, naming the option: RabbitMQ answers a malformed expiration by closing the publishing
  // channel, which fails every other publish in flight on it.
  if (options.expirationMs !== undefined) integerOption(options.expirationMs, 0, `${where}: expirationMs`, 0);
  const message = encodeMessage(payload, {
    appId: appId ?? defaultAppId(),
    eventName: options.eventName ?? routingKey,
    messageId: options.messageId,
    correlationId: options.correlationId,
    headers: options.headers,
    expirationMs: options.expirationMs,
  });
  // The key was checked above: its exchange is its first part.
  const exchange = options.exchange ?? routingKey.slice(0, routingKey.indexOf('.'));
  return { exchange, routingKey, content: message.content, properties: message.properties };
}
