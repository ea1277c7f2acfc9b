import type { Channel, Message } from 'amqplib';
import type { Delivery, MessageProperties } from '../../messaging/transport.js';
import { normalizeHeaders } from './amqp-headers.js';
import { decodeTypedTable } from './field-table.js';
import { rawHeadersOf } from './raw-header-capture.js';

/** What a delivery asks of the consumer that received it. */
export interface DeliveryOwner {
  /**
   * Acks (no `nack`) or nacks a delivery, once: only on `channel` and only while it is the owner's live
   * one (an ack must go out on the channel that delivered). Whether it was sent (or queued to be).
   */
  settle(channel: Channel, message: Message, nack?: { requeue: boolean }): boolean;
}

/** Settles on `channel` at once, while `live()`: for deliveries no consumer batches (`get`). */
export function settleAtOnce(live: () => boolean): DeliveryOwner {
  return {
    settle(channel, message, nack) {
      if (!live()) return false;
      try {
        if (nack === undefined) channel.ack(message);
        else channel.nack(message, false, nack.requeue);
        return true;
      } catch {
        return false; // the channel closed under us: the broker redelivers the message
      }
    },
  };
}

/**
 * Wraps an amqplib message as a `Delivery` that settles at most once, through its owner, which sends
 * nothing when the channel is no longer live — an ack must never go out on a channel that did not
 * deliver the message.
 *
 * A class rather than an object literal with closures: tens of thousands are made a second, and
 * methods on the prototype cost nothing per delivery.
 */
export function amqpDelivery(
  queue: string,
  channel: Channel,
  message: Message,
  owner: DeliveryOwner,
): Delivery {
  const raw = rawHeadersOf(message.properties);
  if (raw === undefined) return new AmqpDelivery(queue, channel, message, owner);
  if (Buffer.isBuffer(raw)) return new TypedAmqpDelivery(queue, channel, message, owner, raw);
  const delivery = new AmqpDelivery(queue, channel, message, owner);
  delivery.headerBytes = raw.undecodableBytes;
  delivery.headersUndecodable = true;
  return delivery;
}

class AmqpDelivery implements Delivery {
  readonly exchange: string;
  readonly routingKey: string;
  readonly redelivered: boolean;
  readonly content: Buffer;
  readonly properties: MessageProperties & { headers: Record<string, unknown> };
  headerBytes?: number;
  headersUndecodable?: boolean;
  #settled = false;

  constructor(
    readonly queue: string,
    private readonly channel: Channel,
    private readonly message: Message,
    private readonly owner: DeliveryOwner,
  ) {
    const { fields } = message;
    this.exchange = fields.exchange;
    this.routingKey = fields.routingKey;
    this.redelivered = fields.redelivered;
    this.content = message.content;
    this.properties = definedProperties(message.properties);
  }

  ack(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    return this.owner.settle(this.channel, this.message);
  }

  nack(options: { requeue: boolean }): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    return this.owner.settle(this.channel, this.message, options);
  }
}

/** A delivery whose header table was kept as received: repeats and dead letters copy it typed. */
class TypedAmqpDelivery extends AmqpDelivery {
  constructor(
    queue: string,
    channel: Channel,
    message: Message,
    owner: DeliveryOwner,
    private readonly rawHeaders: Buffer,
  ) {
    super(queue, channel, message, owner);
    this.headerBytes = rawHeaders.length + 4;
  }

  typedHeaders(): Record<string, unknown> {
    return decodeTypedTable(this.rawHeaders);
  }
}

/** amqplib's properties without the keys it sets to `undefined`, and `headers` always an object. */
function definedProperties(
  received: MessageProperties,
): MessageProperties & { headers: Record<string, unknown> } {
  const properties: Record<string, unknown> = {};
  for (const key in received) {
    const value = (received as Record<string, unknown>)[key];
    if (value !== undefined) properties[key] = value;
  }
  properties['headers'] = normalizeHeaders(received.headers);
  return properties as unknown as MessageProperties & { headers: Record<string, unknown> };
}
