import type { Channel, Message } from 'amqplib';
import type { Delivery, MessageProperties } from '../../messaging/transport.js';
import { normalizeHeaders } from './amqp-headers.js';
import { decodeTypedTable } from './field-table.js';
import { rawHeadersOf } from './raw-header-capture.js';

/**
 * Wraps an amqplib message as a `Delivery` that settles at most once. `mayUse()` is asked at the moment
 * of settling: when it says no (the channel that delivered it is no longer the live one), nothing is
 * sent — an ack must never go out on a channel that did not deliver the message.
 */
export function amqpDelivery(
  queue: string,
  channel: Channel,
  message: Message,
  mayUse: () => boolean,
  onSettle: () => void = () => {},
): Delivery {
  let settled = false;
  const settle = (action: () => void): boolean => {
    if (settled) return false;
    settled = true;
    onSettle();
    if (!mayUse()) return false;
    try {
      action();
      return true;
    } catch {
      return false; // the channel closed under us: the broker redelivers the message
    }
  };
  const properties: MessageProperties = {};
  for (const [key, value] of Object.entries(message.properties as MessageProperties)) {
    if (value !== undefined) (properties as Record<string, unknown>)[key] = value;
  }
  const headers = normalizeHeaders(properties.headers);
  const raw = rawHeadersOf(message.properties);
  return {
    queue,
    exchange: message.fields.exchange,
    routingKey: message.fields.routingKey,
    redelivered: message.fields.redelivered,
    content: message.content,
    properties: { ...properties, headers },
    ...(raw === undefined
      ? {}
      : Buffer.isBuffer(raw)
        ? { headerBytes: raw.length + 4, typedHeaders: () => decodeTypedTable(raw) }
        : { headerBytes: raw.undecodableBytes, headersUndecodable: true }),
    ack: () => settle(() => channel.ack(message)),
    nack: ({ requeue }) => settle(() => channel.nack(message, false, requeue)),
  };
}
