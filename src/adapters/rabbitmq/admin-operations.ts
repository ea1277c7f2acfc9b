import type { Channel } from 'amqplib';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { describeValue } from '../../internal/options.js';
import type { Delivery, QueueStats } from '../../messaging/transport.js';
import type { AmqpConnection } from './amqp-connection.js';
import { amqpDelivery, settleAtOnce } from './amqp-delivery.js';
import type { PublishingChannel } from './publishing-channel.js';
import type { RememberedTopology } from './remembered-topology.js';
import { amqpErrorCode } from './topology.js';

/**
 * What a transport does besides publishing and consuming: fetch one message, inspect, purge and delete
 * queues, delete exchanges. Each on a short-lived channel, except `get`, which keeps one to settle on.
 */
export class AdminOperations {
  readonly #link: AmqpConnection;
  readonly #topology: RememberedTopology;
  readonly #publishing: PublishingChannel;
  #getChannel: Promise<Channel> | undefined;

  constructor(link: AmqpConnection, topology: RememberedTopology, publishing: PublishingChannel) {
    this.#link = link;
    this.#topology = topology;
    this.#publishing = publishing;
  }

  async get(queue: string): Promise<Delivery | undefined> {
    this.#link.assertOpenForWork('get');
    if (typeof queue !== 'string' || queue === '') {
      throw new InvalidArgumentError(`get: queue must be a non-empty string, got ${describeValue(queue)}`);
    }
    const connection = await this.#link.open();
    this.#getChannel ??= connection.createChannel().then((channel) => {
      channel.on('error', () => {});
      channel.on('close', () => {
        this.#getChannel = undefined;
      });
      return channel;
    });
    const channel = await this.#getChannel;
    let message;
    try {
      message = await channel.get(queue, { noAck: false });
    } catch (error) {
      throw this.#link.sanitize(error, `Cannot get a message from queue "${queue}"`);
    }
    if (message === false) return undefined;
    // Settled on the get channel only while it is the live one.
    return amqpDelivery(
      queue,
      channel,
      message,
      settleAtOnce(() => this.#getChannel !== undefined),
    );
  }

  async queueStats(queue: string): Promise<QueueStats | undefined> {
    try {
      return await this.#link.withChannel(async (channel) => {
        const reply = await channel.checkQueue(queue);
        return { messageCount: reply.messageCount, consumerCount: reply.consumerCount };
      });
    } catch (error) {
      if (amqpErrorCode(error) === 404) return undefined;
      throw this.#link.sanitize(error, `Cannot inspect queue "${queue}"`);
    }
  }

  async purgeQueue(queue: string): Promise<number> {
    return this.#link.withChannel(async (channel) => (await channel.purgeQueue(queue)).messageCount);
  }

  async deleteQueue(queue: string): Promise<void> {
    await this.#link.withChannel((channel) => channel.deleteQueue(queue));
    this.#topology.forgetQueue(queue);
  }

  async deleteExchange(exchange: string): Promise<void> {
    await this.#link.withChannel((channel) => channel.deleteExchange(exchange));
    this.#publishing.exchangeDeleted(exchange);
    this.#topology.forgetExchange(exchange);
  }

  /** The connection is gone, and the get channel with it. */
  lost(): void {
    this.#getChannel = undefined;
  }

  /** Closes the get channel, if any (the transport is closing). */
  closeChannel(): Promise<void> | undefined {
    const getChannel = this.#getChannel;
    this.#getChannel = undefined;
    return getChannel?.then((channel) => channel.close());
  }
}
