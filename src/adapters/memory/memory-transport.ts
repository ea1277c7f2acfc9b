import { EventEmitter } from 'eventemitter3';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { TransportClosedError } from '../../errors/transport-closed-error.js';
import { assertKnownOptions, describeValue, integerOption, optionKeys } from '../../internal/options.js';
import { CLOSE_OPTION_KEYS, PUBLISH_OPTION_KEYS } from '../../messaging/transport-keys.js';
import type {
  ConsumeOptions,
  TransportConsumer,
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
import { loggerOption, type Logger } from '../../messaging/logging/logger.js';
import { logTransportEvents } from '../../messaging/logging/log-transport-events.js';
import { MemoryBroker } from './memory-broker.js';
import { MemoryConsumer, prefetchOf, type ConsumerOwner } from './memory-consumer.js';
import { withDeadline } from './deadline.js';
import { MemoryDelivery } from './memory-delivery.js';
import { storedMessage } from './stored-message.js';
import { assertQueueName } from './topology-spec.js';

export interface MemoryTransportOptions {
  /**
   * The broker to talk to; transports sharing one see each other's exchanges, queues and messages.
   * @defaultValue `MemoryBroker.default`, one per process
   */
  broker?: MemoryBroker;
  /**
   * Also writes the transport's events to this logger (`console`, pino): a handler that failed without
   * settling its delivery as an error (`transport-error`), connecting and closing as info.
   * @defaultValue none: the events only
   */
  logger?: Logger;
}

const OPTION_KEYS = optionKeys<MemoryTransportOptions>({ broker: true, logger: true });

const MEMORY_URL = 'memory://';
/** @defaultValue of `close({ timeoutMs })`. */
const CLOSE_TIMEOUT_MS = 10_000;

/**
 * The embedded `Transport`: a connection to an in-process `MemoryBroker` with RabbitMQ's semantics
 * (routing, confirms, mandatory publishes, prefetch, TTL, dead-lettering). The default transport, and
 * the one for unit tests: it passes the same contract tests as `AmqpTransport`.
 *
 * Like a connection, it owns its consumers and unsettled deliveries: `close()` cancels the former and
 * requeues the latter, while the broker and its messages stay for other transports. While it has a
 * consumer it keeps the process alive, as an open connection would: close it when you are done.
 *
 * @example
 * const transport = new MemoryTransport();
 * await transport.declare({ queues: [{ name: 'billing.orders' }] });
 * await transport.consume('billing.orders', async (d) => void d.ack(), { prefetch: 10 });
 * const content = Buffer.from('{}');
 * await transport.publish({ exchange: '', routingKey: 'billing.orders', content, properties: {} });
 */
export class MemoryTransport extends EventEmitter<TransportEvents> implements Transport {
  readonly broker: MemoryBroker;
  #state: 'idle' | 'open' | 'closing' | 'closed' = 'idle';
  /** When `#state` last changed, for health(). */
  #since = Date.now();
  #closed: Promise<void> | undefined;
  readonly #consumers = new Set<MemoryConsumer>();
  readonly #unsettled = new Set<MemoryDelivery>();
  /**
   * Keeps the process alive while a consumer may still receive messages, as the socket of a RabbitMQ
   * connection does: a service that consumes (or a script waiting for a repeat due in a wait queue)
   * does not exit under its own feet. Queue timers stay unref'd, so a publisher alone never waits on a TTL.
   */
  #keepAlive: ReturnType<typeof setInterval> | undefined;
  readonly #owner: ConsumerOwner = {
    delivered: (delivery) => this.#unsettled.add(delivery),
    settled: (delivery) => this.#unsettled.delete(delivery),
    stopped: (consumer) => {
      // Kept until its handlers finish, so that close() still waits for them.
      void consumer.idle().then(() => {
        if (this.#state !== 'closing') this.#consumers.delete(consumer);
        this.#updateKeepAlive();
      });
    },
    error: (error) => this.emit('error', error),
  };

  constructor(options: MemoryTransportOptions = {}) {
    super();
    assertKnownOptions(options, OPTION_KEYS, 'MemoryTransport');
    const { broker = MemoryBroker.default } = options;
    if (!(broker instanceof MemoryBroker)) {
      throw new InvalidArgumentError(
        `MemoryTransport: broker must be a MemoryBroker, got ${describeValue(broker)}`,
      );
    }
    this.broker = broker;
    logTransportEvents(
      this,
      new ComponentLog(loggerOption(options.logger, 'MemoryTransport'), 'MemoryTransport'),
    );
  }

  /**
   * `'up'` once connected (on first use) until closed; never blocked.
   * @example
   * if (transport.health().status === 'down') reply.code(503);
   */
  health(): TransportHealth {
    const connected = this.#state === 'open';
    return {
      status: connected ? 'up' : 'down',
      state: this.#state,
      connected,
      blocked: false,
      url: MEMORY_URL,
      since: new Date(this.#since),
    };
  }

  /**
   * Connects: emits `connected` the first time. Other methods connect on first use.
   * @example
   * transport.on('connected', ({ url }) => log.info(`connected to ${url}`));
   * await transport.connect();
   */
  connect(): Promise<void> {
    return this.#run('connect', () => undefined);
  }

  /**
   * Declares exchanges, then queues, then bindings. Redeclaring identically is a no-op; different
   * arguments reject with `TopologyConflictError` naming the argument.
   * @example
   * await transport.declare({
   *   exchanges: [{ name: 'order', type: 'topic' }],
   *   queues: [{ name: 'billing.orders', deadLetterExchange: 'billing.dead-letter' }],
   *   bindings: [{ queue: 'billing.orders', exchange: 'order', pattern: 'order.*' }],
   * });
   */
  declare(topology: Topology): Promise<void> {
    return this.#run('declare', () => this.broker.declare(topology));
  }

  /**
   * Publishes as `mandatory`: resolves once the message is in every queue it routes to (the confirm), or
   * rejects with `UnroutableError` when it routes nowhere or the exchange does not exist. The content and
   * headers are copied. While `close()` waits for running handlers, they may still publish.
   * @example
   * const properties = { messageId, contentType: 'application/json' };
   * await transport.publish({ exchange: 'order', routingKey: 'order.placed', content, properties });
   */
  publish(message: OutgoingMessage, options?: PublishOptions): Promise<void> {
    return this.#run(
      'publish',
      () => {
        assertKnownOptions(options, PUBLISH_OPTION_KEYS, 'publish');
        integerOption(options?.timeoutMs, 1, 'publish: timeoutMs', 1);
        this.broker.publish(storedMessage(message));
      },
      true,
    );
  }

  /**
   * Starts consuming. Deliveries arrive asynchronously, round-robin among the queue's consumers, at most
   * `prefetch` unsettled at a time.
   * @example
   * const handle = async (delivery: Delivery) => { await bill(delivery); delivery.ack(); };
   * const consumer = await transport.consume('billing.orders', handle, { prefetch: 20 });
   */
  consume(queue: string, handler: DeliveryHandler, options: ConsumeOptions): Promise<TransportConsumer> {
    return this.#run('consume', () => {
      assertQueueName(queue, 'consume');
      if (typeof handler !== 'function') {
        throw new InvalidArgumentError(
          `consume: the handler must be a function, got ${describeValue(handler)}`,
        );
      }
      const prefetch = prefetchOf(options);
      const source = this.broker.requireQueue(queue, 'consume');
      const consumer = new MemoryConsumer(source, handler, prefetch, this.#owner);
      this.#consumers.add(consumer);
      source.addConsumer(consumer);
      this.#updateKeepAlive();
      return consumer;
    });
  }

  /**
   * Takes one message without a consumer (`basic.get`; prefetch does not apply), or `undefined`.
   * @example
   * const delivery = await transport.get('billing.dead-letters');
   * delivery?.ack();
   */
  get(queue: string): Promise<Delivery | undefined> {
    return this.#run('get', () => {
      const source = this.broker.requireQueue(assertQueueName(queue, 'get'), 'get');
      const queued = source.take();
      if (!queued) return undefined;
      const delivery = new MemoryDelivery(source, queued, (settled) => this.#unsettled.delete(settled));
      this.#unsettled.add(delivery);
      return delivery;
    });
  }

  /**
   * Ready messages (not delivered and unsettled ones) and consumers, or `undefined` for a missing queue.
   * @example
   * const stats = await transport.queueStats('billing.orders'); // { messageCount: 3, consumerCount: 1 }
   */
  queueStats(queue: string): Promise<QueueStats | undefined> {
    return this.#run('queueStats', () => {
      const source = this.broker.queue(assertQueueName(queue, 'queueStats'));
      return source && { messageCount: source.messageCount, consumerCount: source.consumerCount };
    });
  }

  /**
   * Removes every ready message; returns how many.
   * @example
   * const removed = await transport.purgeQueue('billing.orders');
   */
  purgeQueue(queue: string): Promise<number> {
    return this.#run('purgeQueue', () =>
      this.broker.requireQueue(assertQueueName(queue, 'purgeQueue'), 'purgeQueue').purge(),
    );
  }

  /**
   * Deletes a queue, its messages and bindings; its consumers (on any transport) are cancelled and
   * report an `error`. Deleting a missing queue is fine.
   * @example
   * await transport.deleteQueue('billing.orders');
   */
  deleteQueue(queue: string): Promise<void> {
    return this.#run('deleteQueue', () => this.broker.deleteQueue(assertQueueName(queue, 'deleteQueue')));
  }

  /**
   * Deletes an exchange and its bindings. Deleting a missing exchange is fine.
   * @example
   * await transport.deleteExchange('order');
   */
  deleteExchange(exchange: string): Promise<void> {
    return this.#run('deleteExchange', () => {
      if (typeof exchange !== 'string') {
        throw new InvalidArgumentError(
          `deleteExchange: the exchange must be a string, got ${describeValue(exchange)}`,
        );
      }
      this.broker.deleteExchange(exchange);
    });
  }

  /**
   * Closes: new calls reject with `TransportClosedError` at once; consumers are cancelled; handlers
   * already running get up to `timeoutMs` to finish (and may still publish and settle meanwhile); then
   * every delivery of this transport still unsettled goes back to its queue, redelivered, and
   * `disconnected` is emitted. Idempotent: later calls return the same promise.
   * @example
   * process.on('SIGTERM', () => void transport.close({ timeoutMs: 5000 }));
   */
  close(options?: { timeoutMs?: number }): Promise<void> {
    try {
      assertKnownOptions(options, CLOSE_OPTION_KEYS, 'close');
      const timeoutMs = integerOption(options?.timeoutMs, CLOSE_TIMEOUT_MS, 'close: timeoutMs', 0);
      return (this.#closed ??= this.#shutDown(timeoutMs));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async #shutDown(timeoutMs: number): Promise<void> {
    const wasOpen = this.#state === 'open';
    this.#enter('closing');
    await withDeadline(Promise.all([...this.#consumers].map((consumer) => consumer.cancel())), timeoutMs);
    this.#enter('closed');
    this.#consumers.clear();
    this.#updateKeepAlive();
    // Newest first, each to the head: the oldest ends up first, as the broker would order them.
    const pending = [...this.#unsettled].sort((a, b) => b.sequence - a.sequence);
    this.#unsettled.clear();
    for (const delivery of pending) delivery.revoke();
    if (wasOpen) this.emit('disconnected', { url: MEMORY_URL });
  }

  #enter(state: 'open' | 'closing' | 'closed'): void {
    this.#state = state;
    this.#since = Date.now();
  }

  #updateKeepAlive(): void {
    if (this.#consumers.size > 0 && this.#state !== 'closed') {
      this.#keepAlive ??= setInterval(() => {}, 2 ** 31 - 1);
    } else if (this.#keepAlive !== undefined) {
      clearInterval(this.#keepAlive);
      this.#keepAlive = undefined;
    }
  }

  /**
   * Runs an operation as a promise that settles after it (never a synchronous throw), connecting on first
   * use. Once closing, work is refused; publishes only once closed, so running handlers can finish.
   */
  #run<T>(operation: string, work: () => T, allowedWhileClosing = false): Promise<T> {
    try {
      this.#use(operation, allowedWhileClosing);
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Throws once closed (or closing, except for allowed work); otherwise connects if not yet connected. */
  #use(operation: string, allowedWhileClosing: boolean): void {
    if (this.#state === 'closed' || (this.#state === 'closing' && !allowedWhileClosing)) {
      throw new TransportClosedError(operation);
    }
    if (this.#state === 'idle') {
      this.#enter('open');
      this.emit('connected', { url: MEMORY_URL });
    }
  }
}
