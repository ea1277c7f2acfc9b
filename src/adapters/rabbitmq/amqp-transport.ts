import { EventEmitter } from 'eventemitter3';
import { TransportClosedError } from '../../errors/transport-closed-error.js';
import { integerOption } from '../../internal/options.js';
import { beforeDeadline } from '../../internal/signal.js';
import type {
  TransportConsumer,
  ConsumeOptions,
  Delivery,
  DeliveryHandler,
  OutgoingMessage,
  PublishOptions,
  QueueStats,
  Topology,
  Transport,
  TransportEvents,
  TransportHealth,
} from '../../messaging/transport.js';
import { ComponentLog } from '../../messaging/logging/component-log.js';
import { logTransportEvents } from '../../messaging/logging/log-transport-events.js';
import { AdminOperations } from './admin-operations.js';
import { AmqpConnection } from './amqp-connection.js';
import { transportSettings, type AmqpTransportOptions } from './amqp-transport-options.js';
import { ConsumerChannels } from './consumer-channels.js';
import { PublishingChannel } from './publishing-channel.js';
import { RememberedTopology } from './remembered-topology.js';

export type { AmqpTlsOptions, AmqpTransportOptions } from './amqp-transport-options.js';

/**
 * The RabbitMQ transport, over amqplib. Confirmed, mandatory publishes that settle exactly once;
 * consumers on channels of their own; reconnection with backoff and jitter over one or several URLs,
 * after which the remembered topology is declared again and consumers resume.
 *
 * @example
 * const transport = new AmqpTransport({ url: process.env.AMQP_URL });
 * await transport.declare({ exchanges: [{ name: 'order', type: 'topic' }] });
 * await transport.publish({ exchange: 'order', routingKey: 'order.placed', content, properties: {} });
 */
export class AmqpTransport extends EventEmitter<TransportEvents> implements Transport {
  readonly #closeTimeoutMs: number;
  readonly #link: AmqpConnection;
  readonly #topology: RememberedTopology;
  readonly #publishing: PublishingChannel;
  readonly #consumers: ConsumerChannels;
  readonly #admin: AdminOperations;
  #closing: Promise<void> | undefined;

  constructor(options: AmqpTransportOptions = {}) {
    super();
    const settings = transportSettings(options);
    this.#closeTimeoutMs = settings.closeTimeoutMs;
    this.#link = new AmqpConnection(settings, this, {
      restore: async (connection, setup) => {
        await this.#topology.replay(connection, setup);
        await this.#consumers.reattach(connection, setup);
      },
      lost: (error) => {
        this.#admin.lost();
        this.#publishing.lost(error);
        this.#consumers.detachAll();
      },
      unblocked: () => this.#publishing.wakeAll(),
    });
    this.#topology = new RememberedTopology(this.#link);
    this.#publishing = new PublishingChannel(this.#link, settings.publishTimeoutMs, settings.maxUnconfirmed);
    this.#consumers = new ConsumerChannels(this.#link);
    this.#admin = new AdminOperations(this.#link, this.#topology, this.#publishing);
    logTransportEvents(this, new ComponentLog(settings.logger, 'AmqpTransport', settings.secrets));
  }

  /** Whether a connection is open right now. */
  get connected(): boolean {
    return this.#link.state === 'open';
  }

  /**
   * The connection now: `'up'` while one is open and the broker does not block it.
   * @example
   * const { status, state, blocked, url, since } = transport.health();
   */
  health(): TransportHealth {
    return this.#link.health();
  }

  connect(): Promise<void> {
    return this.#link.connect();
  }

  async declare(topology: Topology): Promise<void> {
    this.#link.assertOpenForWork('declare');
    const connection = await this.#link.open();
    await this.#topology.declare(connection, topology);
    for (const exchange of topology.exchanges ?? []) this.#publishing.exchangeExists(exchange.name);
  }

  publish(message: OutgoingMessage, options: PublishOptions = {}): Promise<void> {
    return this.#publishing.publish(message, options);
  }

  consume(queue: string, handler: DeliveryHandler, options: ConsumeOptions): Promise<TransportConsumer> {
    return this.#consumers.consume(queue, handler, options);
  }

  get(queue: string): Promise<Delivery | undefined> {
    return this.#admin.get(queue);
  }

  queueStats(queue: string): Promise<QueueStats | undefined> {
    return this.#admin.queueStats(queue);
  }

  purgeQueue(queue: string): Promise<number> {
    return this.#admin.purgeQueue(queue);
  }

  deleteQueue(queue: string): Promise<void> {
    return this.#admin.deleteQueue(queue);
  }

  deleteExchange(exchange: string): Promise<void> {
    return this.#admin.deleteExchange(exchange);
  }

  close(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#closing ??= this.#shutDown(
      integerOption(options.timeoutMs, this.#closeTimeoutMs, 'close: timeoutMs', 0),
    );
    return this.#closing;
  }

  async #shutDown(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const wasOpen = this.#link.beginClose();
    this.#publishing.rejectWaiting(new TransportClosedError('publish'));
    const waitAtMost = (work: Promise<unknown>) =>
      beforeDeadline(work, deadline, () => new Error('deadline')).catch(() => {});
    // A connection attempt in flight ends first (it sees the abort), so nothing opens behind close().
    const connecting = this.#link.connecting;
    if (connecting !== undefined) await waitAtMost(connecting.catch(() => {}));
    const consumers = this.#consumers.list();
    // Stop deliveries and let running handlers finish (and settle) while the channels are still open.
    await waitAtMost(Promise.allSettled(consumers.map((consumer) => consumer.cancel())));
    const publisher = this.#publishing.current;
    if (publisher !== undefined) {
      await waitAtMost(
        (async () => {
          while (publisher.inFlight > 0 && !publisher.closed) await this.#link.changed.wait();
        })(),
      );
    }
    // Close every channel before the connection: a channel's close completes only after the broker has
    // processed what was sent on it, so the last acks are not lost with the connection.
    await waitAtMost(
      Promise.allSettled([
        ...consumers.map((consumer) => consumer.closeChannel()),
        this.#admin.closeChannel(),
        publisher?.close(),
      ]),
    );
    await this.#link.finishClose(wasOpen, () => {
      publisher?.channelClosed(new TransportClosedError('publish'));
      for (const consumer of consumers) consumer.detach();
      this.#consumers.clear();
    });
  }
}
