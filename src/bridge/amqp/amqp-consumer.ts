import type { Channel, ConsumeMessage } from 'amqplib';
import type { Consumer, Delivery, DeliveryHandler, MessageProperties } from '../transport.js';
import { normalizeHeaders } from './amqp-headers.js';

/**
 * One consumer on a channel of its own (so its prefetch is its own, and a channel error elsewhere does
 * not stop it). After a reconnect the transport calls `attach()` with a new channel; deliveries of the
 * old channel can no longer be settled: an ack is never sent on a channel that did not deliver it.
 */
export class AmqpConsumer implements Consumer {
  readonly #running = new Set<Promise<void>>();
  #channel: Channel | undefined;
  #consumerTag: string | undefined;
  #cancelled = false;

  constructor(
    readonly queue: string,
    readonly prefetch: number,
    private readonly handler: DeliveryHandler,
    private readonly onError: (error: Error) => void,
    private readonly onCancel: (consumer: AmqpConsumer) => void,
  ) {}

  get cancelled(): boolean {
    return this.#cancelled;
  }

  /** Starts consuming on `channel` (a fresh one after every reconnect). */
  async attach(channel: Channel): Promise<void> {
    this.#channel = channel;
    await channel.prefetch(this.prefetch);
    const reply = await channel.consume(this.queue, (message) => this.#onMessage(channel, message), {
      noAck: false,
    });
    this.#consumerTag = reply.consumerTag;
  }

  /** The channel is gone (connection lost): in-flight deliveries can no longer be settled. */
  detach(): void {
    this.#channel = undefined;
    this.#consumerTag = undefined;
  }

  async cancel(): Promise<void> {
    if (!this.#cancelled) {
      this.#cancelled = true;
      this.onCancel(this);
      const channel = this.#channel;
      const tag = this.#consumerTag;
      if (channel !== undefined && tag !== undefined) {
        try {
          await channel.cancel(tag);
        } catch {
          // The channel closed meanwhile: the broker has cancelled the consumer already.
        }
      }
    }
    await this.idle();
  }

  /** Resolves when no handler of this consumer is running. */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  /** Closes the consumer's channel; unsettled deliveries return to the queue. */
  async closeChannel(): Promise<void> {
    const channel = this.#channel;
    this.detach();
    if (channel !== undefined) {
      try {
        await channel.close();
      } catch {
        // Already closed.
      }
    }
  }

  #onMessage(channel: Channel, message: ConsumeMessage | null): void {
    if (message === null) {
      // The broker cancelled the consumer (its queue was deleted, say).
      if (!this.#cancelled)
        this.onError(new Error(`The broker cancelled the consumer of queue "${this.queue}"`));
      return;
    }
    const delivery = this.#delivery(channel, message);
    const run = this.handler(delivery).then(
      () => undefined,
      (error: unknown) => {
        // The handler failed without settling: dead-letter the message rather than leave it unacked.
        delivery.nack({ requeue: false });
        this.onError(error instanceof Error ? error : new Error(String(error)));
      },
    );
    this.#running.add(run);
    void run.finally(() => this.#running.delete(run));
  }

  #delivery(channel: Channel, message: ConsumeMessage): Delivery {
    let settled = false;
    const settle = (action: () => void): boolean => {
      if (settled) return false;
      settled = true;
      // Only on the channel that delivered it, and only while that channel is ours and open.
      if (this.#channel !== channel) return false;
      try {
        action();
        return true;
      } catch {
        return false;
      }
    };
    const properties = message.properties as MessageProperties;
    return {
      queue: this.queue,
      exchange: message.fields.exchange,
      routingKey: message.fields.routingKey,
      redelivered: message.fields.redelivered,
      content: message.content,
      properties: {
        ...stripUndefined(properties),
        headers: normalizeHeaders(properties.headers),
      },
      ack: () => settle(() => channel.ack(message)),
      nack: ({ requeue }) => settle(() => channel.nack(message, false, requeue)),
    };
  }
}

function stripUndefined(properties: MessageProperties): MessageProperties {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(properties)) if (value !== undefined) result[key] = value;
  return result;
}
