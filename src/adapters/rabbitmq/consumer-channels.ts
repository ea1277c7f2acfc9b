import type { Channel, ChannelModel } from 'amqplib';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { assertKnownOptions, describeValue, integerOption } from '../../internal/options.js';
import { sleep } from '../../internal/signal.js';
import type { TransportConsumer, ConsumeOptions, DeliveryHandler } from '../../messaging/transport.js';
import { CONSUME_OPTION_KEYS } from '../../messaging/transport-keys.js';
import { AmqpConsumer } from './amqp-consumer.js';
import type { AmqpConnection } from './amqp-connection.js';
import type { SetupWatch } from './connection-setup.js';
import { amqpErrorCode } from './topology.js';

/** Channel errors a new channel cannot cure: 403 ACCESS_REFUSED, 404 NOT_FOUND, 405 RESOURCE_LOCKED. */
const NOT_WORTH_RETRYING: readonly number[] = [403, 404, 405];
/** Pause before a consumer gets a new channel after a channel error, so a recurring one cannot spin. */
const CONSUMER_RETRY_DELAY_MS = 1000;

/**
 * The consumers of a transport, each on a channel of its own: a channel error gets the consumer a new
 * channel (unless no new channel can help), and a new connection gets every consumer back.
 */
export class ConsumerChannels {
  readonly #consumers = new Set<AmqpConsumer>();
  readonly #link: AmqpConnection;

  constructor(link: AmqpConnection) {
    this.#link = link;
  }

  async consume(
    queue: string,
    handler: DeliveryHandler,
    options: ConsumeOptions,
  ): Promise<TransportConsumer> {
    this.#link.assertOpenForWork('consume');
    if (typeof queue !== 'string' || queue === '') {
      throw new InvalidArgumentError(
        `consume: queue must be a non-empty string, got ${describeValue(queue)}`,
      );
    }
    if (typeof handler !== 'function') {
      throw new InvalidArgumentError(`consume: handler must be a function, got ${describeValue(handler)}`);
    }
    assertKnownOptions(options, CONSUME_OPTION_KEYS, 'consume');
    if (options?.prefetch === undefined) throw new InvalidArgumentError('consume: prefetch is required');
    // basic.qos carries the prefetch count in 16 bits; 0 would mean "unlimited".
    const prefetch = integerOption(options.prefetch, 1, 'consume: prefetch', 1, 65_535);
    const consumer = new AmqpConsumer(
      queue,
      prefetch,
      handler,
      (error) => this.#link.emitError(error),
      (cancelled) => this.#consumers.delete(cancelled),
    );
    const connection = await this.#link.open();
    await consumer.attach(await this.#channelFor(connection, consumer));
    this.#consumers.add(consumer);
    return consumer;
  }

  /**
   * Resumes every consumer on a new connection. One that cannot be resumed (its queue deleted by someone
   * else, say) is reported and skipped: it must not keep the whole connection down.
   */
  async reattach(connection: ChannelModel, setup: SetupWatch): Promise<void> {
    for (const consumer of this.#consumers) {
      try {
        await consumer.attach(await this.#channelFor(connection, consumer));
      } catch (error) {
        setup.assertOpen();
        this.#link.emitError(this.#link.sanitize(error, `Cannot resume the consumer of "${consumer.queue}"`));
      }
    }
  }

  /** The consumers now, for closing. */
  list(): AmqpConsumer[] {
    return [...this.#consumers];
  }

  /** The connection is gone: the consumers wait for the next one. */
  detachAll(): void {
    for (const consumer of this.#consumers) consumer.detach();
  }

  clear(): void {
    this.#consumers.clear();
  }

  async #channelFor(connection: ChannelModel, consumer: AmqpConsumer): Promise<Channel> {
    const channel = await connection.createChannel();
    let channelError: Error | undefined;
    channel.on('error', (error: Error) => {
      channelError = error;
      this.#link.emitError(this.#link.sanitize(error, `Consumer of "${consumer.queue}"`));
    });
    channel.on('close', () => {
      consumer.detach();
      // Only a channel error (the broker closed this channel alone) calls for a new channel here; when the
      // connection is lost, amqplib closes its channels before the connection says so, and the reconnect
      // restores the consumer. Errors that a new channel cannot cure (no such queue, no permission,
      // exclusive use) are reported, not retried.
      const code = channelError === undefined ? undefined : amqpErrorCode(channelError);
      if (channelError === undefined || (code !== undefined && NOT_WORTH_RETRYING.includes(code))) return;
      void sleep(CONSUMER_RETRY_DELAY_MS, this.#link.stopping).then(async () => {
        if (
          this.#link.current !== connection ||
          this.#link.state !== 'open' ||
          !this.#consumers.has(consumer)
        )
          return;
        try {
          const next = await this.#channelFor(connection, consumer);
          // The connection may have been replaced meanwhile; the reconnect attached the consumer then.
          if (this.#link.current !== connection) return void next.close().catch(() => {});
          await consumer.attach(next);
        } catch (error) {
          this.#link.emitError(this.#link.sanitize(error, `Cannot resume consumer of "${consumer.queue}"`));
        }
      });
    });
    return channel;
  }
}
