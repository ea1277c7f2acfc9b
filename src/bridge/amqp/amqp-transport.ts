import amqplib from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel } from 'amqplib';
import { EventEmitter } from 'eventemitter3';
import { ConnectionBlockedError } from '../../errors/connection-blocked-error.js';
import { ConnectionFailedError } from '../../errors/connection-failed-error.js';
import { ConnectionLostError } from '../../errors/connection-lost-error.js';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { TransportClosedError } from '../../errors/transport-closed-error.js';
import { UnroutableError } from '../../errors/unroutable-error.js';
import type { Backoff } from '../../internal/backoff.js';
import { assertKnownOptions, describeValue, integerOption } from '../../internal/options.js';
import { Signal, beforeDeadline, sleep } from '../../internal/signal.js';
import { uuidv7 } from '../../internal/uuid-v7.js';
import { WaitQueue } from '../../internal/wait-queue.js';
import type {
  Consumer,
  ConsumeOptions,
  Delivery,
  DeliveryHandler,
  OutgoingMessage,
  PublishOptions,
  QueueStats,
  Topology,
  Transport,
  TransportEvents,
} from '../transport.js';
import { AmqpConsumer } from './amqp-consumer.js';
import { connectionFailure, isUnrecoverable } from './connection-failure.js';
import { connectArguments, redactSecrets, redactUrl } from './amqp-url.js';
import { transportSettings, type AmqpTransportOptions } from './amqp-transport-options.js';
import { nameTheBlock } from './blocked-publish.js';
import { watchForSilence } from './silence-watchdog.js';
import { watchSetup } from './connection-setup.js';
import { ConfirmPublisher } from './confirm-publisher.js';
import { retryNacked, StaleChannelPacer } from './nack-failover.js';
import { amqpDelivery } from './amqp-delivery.js';
import { assertOutgoing } from './outgoing-message.js';
import { outgoingHeaders } from './amqp-headers.js';
import { captureRawHeaders } from './raw-header-capture.js';
import { amqpErrorCode, amqpErrorDetail, declareTopology } from './topology.js';

export type { AmqpTlsOptions, AmqpTransportOptions } from './amqp-transport-options.js';

type State = 'idle' | 'connecting' | 'open' | 'closing' | 'closed';

/** Channel errors a new channel cannot cure: 403 ACCESS_REFUSED, 404 NOT_FOUND, 405 RESOURCE_LOCKED. */
const NOT_WORTH_RETRYING: readonly number[] = [403, 404, 405];
/** Pause before a consumer gets a new channel after a channel error, so a recurring one cannot spin. */
const CONSUMER_RETRY_DELAY_MS = 1000;

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
  readonly #urls: string[];
  readonly #secrets: string[];
  readonly #heartbeatSeconds: number;
  readonly #socketOptions: Record<string, unknown>;
  readonly #publishTimeoutMs: number;
  readonly #maxUnconfirmed: number;
  readonly #maxConnectAttempts: number;
  readonly #backoff: Backoff;
  readonly #closeTimeoutMs: number;

  #state: State = 'idle';
  #connection: ChannelModel | undefined;
  #connecting: Promise<void> | undefined;
  #everConnected = false;
  #urlIndex = 0;
  #publisher: ConfirmPublisher | undefined;
  #publisherOpening: Promise<ConfirmPublisher> | undefined;
  readonly #stalePacer = new StaleChannelPacer();
  #getChannel: Promise<Channel> | undefined;
  #blocked = false;
  #blockedReason = '';
  readonly #blockedBy = () => (this.#blocked ? this.#blockedReason : undefined);
  readonly #changed = new Signal();
  /** Publishes waiting for a slot in the window of unconfirmed messages, in publish order. */
  readonly #slots = new WaitQueue();
  /** Declared topologies, by content, to declare again after a reconnect. */
  readonly #topologies = new Map<string, Topology>();
  readonly #knownExchanges = new Set<string>(['']);
  readonly #consumers = new Set<AmqpConsumer>();
  readonly #stopping = new AbortController();
  #closing: Promise<void> | undefined;

  constructor(options: AmqpTransportOptions = {}) {
    super();
    const settings = transportSettings(options);
    this.#urls = settings.urls;
    this.#secrets = settings.secrets;
    this.#heartbeatSeconds = settings.heartbeatSeconds;
    this.#socketOptions = settings.socketOptions;
    this.#publishTimeoutMs = settings.publishTimeoutMs;
    this.#maxUnconfirmed = settings.maxUnconfirmed;
    this.#maxConnectAttempts = settings.maxConnectAttempts;
    this.#backoff = settings.backoff;
    this.#closeTimeoutMs = settings.closeTimeoutMs;
  }

  /** Whether a connection is open right now. */
  get connected(): boolean {
    return this.#state === 'open';
  }

  connect(): Promise<void> {
    if (this.#state === 'open') return Promise.resolve();
    if (this.#state === 'closing' || this.#state === 'closed') {
      return Promise.reject(new TransportClosedError('connect'));
    }
    this.#connecting ??= this.#connectLoop().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async declare(topology: Topology): Promise<void> {
    this.#assertOpenForWork('declare');
    const connection = await this.#open();
    await declareTopology(connection, topology);
    this.#topologies.set(JSON.stringify(topology), topology);
    for (const exchange of topology.exchanges ?? []) this.#knownExchanges.add(exchange.name);
  }

  publish(message: OutgoingMessage, options: PublishOptions = {}): Promise<void> {
    try {
      this.#assertOpenForWork('publish');
      assertOutgoing(message);
      // A Date as an AMQP timestamp (amqplib would write an empty table); too deep nesting refused.
      const headers = message.properties.headers;
      const sent = headers === undefined ? undefined : outgoingHeaders(headers);
      if (sent !== headers) message = { ...message, properties: { ...message.properties, headers: sent } };
    } catch (error) {
      return Promise.reject(error);
    }
    const timeoutMs =
      options.timeoutMs === undefined
        ? this.#publishTimeoutMs
        : integerOption(options.timeoutMs, this.#publishTimeoutMs, 'publish: timeoutMs', 1);
    const messageId = message.properties.messageId ?? uuidv7();
    // A nacked message is published again on a fresh channel until its deadline (nack-failover.ts).
    const deadline = Date.now() + timeoutMs;
    const again = (remainingMs: number) => this.#publishWhenReady(message, messageId, remainingMs, timeoutMs);
    // Fast path: connected, room in the window, nothing to wait for — no timers beyond the confirm's own.
    const publisher = this.#publisher;
    if (
      this.#state === 'open' &&
      publisher !== undefined &&
      !publisher.closed &&
      !publisher.stale &&
      !this.#blocked &&
      publisher.inFlight < this.#maxUnconfirmed &&
      this.#slots.size === 0 &&
      publisher.waitForDrain() === undefined &&
      this.#knownExchanges.has(message.exchange)
    ) {
      return retryNacked(
        nameTheBlock(publisher.publish(message, messageId, timeoutMs), this.#blockedBy),
        deadline,
        again,
        this.#stopping.signal,
      );
    }
    return retryNacked(again(timeoutMs), deadline, again, this.#stopping.signal);
  }

  /** Waits (up to the publish timeout) for a connection, a window slot, the broker to unblock, a drain. */
  async #publishWhenReady(
    message: OutgoingMessage,
    messageId: string,
    timeoutMs: number,
    wholeTimeoutMs: number,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const late = () =>
      this.#blocked
        ? new ConnectionBlockedError(this.#blockedReason, messageId, wholeTimeoutMs, false)
        : new ConnectionLostError(
            `Could not publish message ${messageId} within ${wholeTimeoutMs} ms: no open connection or no free slot ` +
              `in the window of ${this.#maxUnconfirmed} unconfirmed messages`,
          );
    // A caller woken for a free slot that leaves without publishing passes the wake-up on, or the next
    // caller in line would sleep beside an empty window.
    let woken = false;
    try {
      for (;;) {
        this.#assertOpenForWork('publish');
        await beforeDeadline(this.connect(), deadline, late);
        // A connection lost while its channel was opening: nothing was sent, so wait for the next one.
        const publisher = await beforeDeadline(this.#ensurePublisher(), deadline, late).catch((error) => {
          if (this.#state === 'connecting' && Date.now() < deadline) return undefined;
          throw error;
        });
        if (publisher === undefined) continue;
        if (this.#blocked) {
          await beforeDeadline(this.#changed.wait(), deadline, late);
          continue;
        }
        if (publisher.inFlight >= this.#maxUnconfirmed) {
          await this.#slots.wait(deadline, late);
          woken = true;
          continue;
        }
        const drain = publisher.waitForDrain();
        if (drain !== undefined) {
          await beforeDeadline(drain, deadline, late);
          continue;
        }
        if (!this.#knownExchanges.has(message.exchange)) {
          await beforeDeadline(
            this.#checkExchange(message.exchange, message.routingKey, messageId),
            deadline,
            late,
          );
          continue;
        }
        woken = false;
        const remainingMs = Math.max(1, deadline - Date.now());
        const publishing = publisher.publish(message, messageId, remainingMs, wholeTimeoutMs);
        return await nameTheBlock(publishing, this.#blockedBy);
      }
    } catch (error) {
      if (woken) this.#slots.wakeOne();
      throw error;
    }
  }

  async consume(queue: string, handler: DeliveryHandler, options: ConsumeOptions): Promise<Consumer> {
    this.#assertOpenForWork('consume');
    if (typeof queue !== 'string' || queue === '') {
      throw new InvalidArgumentError(
        `consume: queue must be a non-empty string, got ${describeValue(queue)}`,
      );
    }
    if (typeof handler !== 'function') {
      throw new InvalidArgumentError(`consume: handler must be a function, got ${describeValue(handler)}`);
    }
    assertKnownOptions(options, ['prefetch'], 'consume');
    if (options?.prefetch === undefined) throw new InvalidArgumentError('consume: prefetch is required');
    // basic.qos carries the prefetch count in 16 bits; 0 would mean "unlimited".
    const prefetch = integerOption(options.prefetch, 1, 'consume: prefetch', 1, 65_535);
    const consumer = new AmqpConsumer(
      queue,
      prefetch,
      handler,
      (error) => this.#emitError(error),
      (cancelled) => this.#consumers.delete(cancelled),
    );
    const connection = await this.#open();
    await consumer.attach(await this.#consumerChannel(connection, consumer));
    this.#consumers.add(consumer);
    return consumer;
  }

  async get(queue: string): Promise<Delivery | undefined> {
    this.#assertOpenForWork('get');
    if (typeof queue !== 'string' || queue === '') {
      throw new InvalidArgumentError(`get: queue must be a non-empty string, got ${describeValue(queue)}`);
    }
    const connection = await this.#open();
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
      throw this.#sanitize(error, `Cannot get a message from queue "${queue}"`);
    }
    if (message === false) return undefined;
    // Settled on the get channel only while it is the live one.
    return amqpDelivery(queue, channel, message, () => this.#getChannel !== undefined);
  }

  async queueStats(queue: string): Promise<QueueStats | undefined> {
    try {
      return await this.#withChannel(async (channel) => {
        const reply = await channel.checkQueue(queue);
        return { messageCount: reply.messageCount, consumerCount: reply.consumerCount };
      });
    } catch (error) {
      if (amqpErrorCode(error) === 404) return undefined;
      throw this.#sanitize(error, `Cannot inspect queue "${queue}"`);
    }
  }

  async purgeQueue(queue: string): Promise<number> {
    return this.#withChannel(async (channel) => (await channel.purgeQueue(queue)).messageCount);
  }

  async deleteQueue(queue: string): Promise<void> {
    await this.#withChannel((channel) => channel.deleteQueue(queue));
    this.#forget((topology) => ({
      ...topology,
      queues: topology.queues?.filter((spec) => spec.name !== queue),
      bindings: topology.bindings?.filter((binding) => binding.queue !== queue),
    }));
  }

  async deleteExchange(exchange: string): Promise<void> {
    await this.#withChannel((channel) => channel.deleteExchange(exchange));
    this.#knownExchanges.delete(exchange);
    this.#forget((topology) => ({
      ...topology,
      exchanges: topology.exchanges?.filter((spec) => spec.name !== exchange),
      bindings: topology.bindings?.filter((binding) => binding.exchange !== exchange),
    }));
  }

  /** Rewrites the remembered topologies so a reconnect does not re-create what was deleted. */
  #forget(without: (topology: Topology) => Topology): void {
    const kept = [...this.#topologies.values()].map(without);
    this.#topologies.clear();
    for (const topology of kept) this.#topologies.set(JSON.stringify(topology), topology);
  }

  close(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#closing ??= this.#shutDown(
      integerOption(options.timeoutMs, this.#closeTimeoutMs, 'close: timeoutMs', 0),
    );
    return this.#closing;
  }

  async #shutDown(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const wasOpen = this.#state === 'open';
    this.#state = 'closing';
    this.#stopping.abort();
    this.#changed.notify();
    this.#slots.rejectAll(new TransportClosedError('publish'));
    const waitAtMost = (work: Promise<unknown>) =>
      beforeDeadline(work, deadline, () => new Error('deadline')).catch(() => {});
    // A connection attempt in flight ends first (it sees the abort), so nothing opens behind close().
    if (this.#connecting !== undefined) await waitAtMost(this.#connecting.catch(() => {}));
    const consumers = [...this.#consumers];
    // Stop deliveries and let running handlers finish (and settle) while the channels are still open.
    await waitAtMost(Promise.allSettled(consumers.map((consumer) => consumer.cancel())));
    const publisher = this.#publisher;
    if (publisher !== undefined) {
      await waitAtMost(
        (async () => {
          while (publisher.inFlight > 0 && !publisher.closed) await this.#changed.wait();
        })(),
      );
    }
    // Close every channel before the connection: a channel's close completes only after the broker has
    // processed what was sent on it, so the last acks are not lost with the connection.
    const getChannel = this.#getChannel;
    this.#getChannel = undefined;
    await waitAtMost(
      Promise.allSettled([
        ...consumers.map((consumer) => consumer.closeChannel()),
        getChannel?.then((channel) => channel.close()),
        publisher?.close(),
      ]),
    );
    const connection = this.#connection;
    this.#connection = undefined;
    this.#state = 'closed';
    publisher?.channelClosed(new TransportClosedError('publish'));
    for (const consumer of consumers) consumer.detach();
    this.#consumers.clear();
    if (connection !== undefined) {
      try {
        await connection.close();
      } catch {
        // Already closing or closed.
      }
    }
    if (wasOpen) this.emit('disconnected', { url: this.#currentUrl() });
  }

  async #connectLoop(): Promise<void> {
    this.#state = 'connecting';
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      if (this.#stopping.signal.aborted) throw new TransportClosedError('connect');
      const url = this.#urls[this.#urlIndex % this.#urls.length]!;
      try {
        await this.#establish(url);
        return;
      } catch (error) {
        if (this.#stopping.signal.aborted) throw new TransportClosedError('connect');
        const progress = { attempts: attempt + 1, elapsedMs: Date.now() - started };
        const failure = connectionFailure(error, url, this.#secrets, progress);
        // The first connection gives up when retrying cannot help, or after maxConnectAttempts.
        if (!this.#everConnected && (isUnrecoverable(failure) || attempt + 1 >= this.#maxConnectAttempts)) {
          this.#state = 'idle';
          throw failure;
        }
        if (this.#everConnected) this.#emitError(failure);
        this.#urlIndex++;
        await sleep(this.#backoff.delayMs(attempt), this.#stopping.signal);
      }
    }
  }

  async #establish(url: string): Promise<void> {
    const connection = await amqplib.connect(
      ...connectArguments(url, this.#heartbeatSeconds, this.#socketOptions),
    );
    // A frozen network path (no FIN, no RST) is noticed after two heartbeats of silence.
    watchForSilence(connection);
    // Header tables as received, so that repeats and dead letters keep every value's wire type.
    captureRawHeaders(connection);
    // Lost while being set up: its 'close' is not the current connection's, so the setup must notice.
    const setup = watchSetup(connection);
    try {
      connection.on('error', () => {
        // The 'close' that follows carries the same error; handled there.
      });
      connection.on('close', (error?: Error) => this.#onConnectionClosed(connection, error));
      connection.on('blocked', (reason: string) => {
        this.#blocked = true;
        this.#blockedReason = reason;
        this.emit('blocked', reason);
      });
      connection.on('unblocked', () => {
        this.#blocked = false;
        this.#changed.notify();
        while (this.#slots.wakeOne());
        this.emit('unblocked');
      });
      // One topology or consumer that cannot be restored (a conflicting declaration, a queue deleted by
      // someone else) is reported and skipped: it must not keep the whole connection down.
      for (const topology of this.#topologies.values()) {
        await declareTopology(connection, topology).catch((error: unknown) => {
          setup.assertOpen();
          this.#emitError(this.#sanitize(error, 'Cannot declare the topology again after reconnecting'));
        });
      }
      for (const consumer of this.#consumers) {
        try {
          await consumer.attach(await this.#consumerChannel(connection, consumer));
        } catch (error) {
          setup.assertOpen();
          this.#emitError(this.#sanitize(error, `Cannot resume the consumer of "${consumer.queue}"`));
        }
      }
      setup.assertOpen(); // from here on, no await until the connection is the current one
    } catch (error) {
      this.#blocked = false; // a 'blocked' of this connection must not outlive it
      await connection.close().catch(() => {});
      throw error;
    }
    if (this.#stopping.signal.aborted) {
      await connection.close().catch(() => {});
      throw new TransportClosedError('connect');
    }
    this.#connection = connection;
    this.#state = 'open';
    this.#everConnected = true;
    this.#changed.notify();
    this.emit('connected', { url: redactUrl(url) });
  }

  #onConnectionClosed(connection: ChannelModel, error: Error | undefined): void {
    if (connection !== this.#connection) return;
    this.#connection = undefined;
    this.#getChannel = undefined;
    // 'blocked' belongs to the connection that said it; a new connection starts unblocked.
    this.#blocked = false;
    const lost = new ConnectionLostError(
      `The connection to ${this.#currentUrl()} was lost${error ? `: ${redactSecrets(error.message, this.#secrets)}` : ''}`,
    );
    this.#publisher?.channelClosed(lost);
    this.#publisher = undefined;
    for (const consumer of this.#consumers) consumer.detach();
    this.emit('disconnected', { url: this.#currentUrl(), ...(error ? { error: lost } : {}) });
    if (this.#state !== 'open') return;
    this.#state = 'connecting';
    this.connect().catch((reconnectError: unknown) => this.#emitError(reconnectError));
  }

  async #open(): Promise<ChannelModel> {
    for (;;) {
      await this.connect();
      if (this.#connection !== undefined) return this.#connection;
    }
  }

  #ensurePublisher(): Promise<ConfirmPublisher> {
    const current = this.#publisher;
    if (current !== undefined && !current.closed && !current.stale) return Promise.resolve(current);
    this.#publisherOpening ??= (async () => {
      // Fresh channels that keep going stale (a quorum leader not elected yet) are paced.
      const pause = this.#stalePacer.delayMs();
      if (pause > 0) await sleep(pause, this.#stopping.signal);
      const connection = await this.#open();
      const channel: ConfirmChannel = await connection.createConfirmChannel();
      const publisher = new ConfirmPublisher(
        channel,
        () => this.#onPublishSettled(),
        () => this.#stalePacer.stale(),
        () => this.#blocked,
      );
      let channelError: Error | undefined;
      channel.on('error', (error: Error) => {
        channelError = error;
        // Someone deleted an exchange we publish to: forget it, so the next publish checks it first
        // instead of closing this channel again under the other publishes in flight.
        const missing = /NOT_FOUND - no exchange '([^']*)'/.exec(error.message)?.[1];
        if (missing !== undefined) this.#knownExchanges.delete(missing);
      });
      channel.on('close', () => {
        // A channel error (publishing to a deleted exchange, say) closes only this channel; the next
        // publish opens a new one.
        publisher.channelClosed(
          new ConnectionLostError(
            `The publishing channel closed before the broker confirmed the message` +
              (channelError ? `: ${redactSecrets(channelError.message, this.#secrets)}` : ''),
          ),
        );
        if (this.#publisher === publisher) this.#publisher = undefined;
        this.#changed.notify();
      });
      this.#publisher = publisher;
      return publisher;
    })().finally(() => {
      this.#publisherOpening = undefined;
    });
    return this.#publisherOpening;
  }

  #onPublishSettled(): void {
    if (!this.#blocked) this.#slots.wakeOne();
    this.#changed.notify();
  }

  async #consumerChannel(connection: ChannelModel, consumer: AmqpConsumer): Promise<Channel> {
    const channel = await connection.createChannel();
    let channelError: Error | undefined;
    channel.on('error', (error: Error) => {
      channelError = error;
      this.#emitError(this.#sanitize(error, `Consumer of "${consumer.queue}"`));
    });
    channel.on('close', () => {
      consumer.detach();
      // Only a channel error (the broker closed this channel alone) calls for a new channel here; when the
      // connection is lost, amqplib closes its channels before the connection says so, and the reconnect
      // restores the consumer. Errors that a new channel cannot cure (no such queue, no permission,
      // exclusive use) are reported, not retried.
      const code = channelError === undefined ? undefined : amqpErrorCode(channelError);
      if (channelError === undefined || (code !== undefined && NOT_WORTH_RETRYING.includes(code))) return;
      void sleep(CONSUMER_RETRY_DELAY_MS, this.#stopping.signal).then(async () => {
        if (this.#connection !== connection || this.#state !== 'open' || !this.#consumers.has(consumer))
          return;
        try {
          const next = await this.#consumerChannel(connection, consumer);
          // The connection may have been replaced meanwhile; the reconnect attached the consumer then.
          if (this.#connection !== connection) return void next.close().catch(() => {});
          await consumer.attach(next);
        } catch (error) {
          this.#emitError(this.#sanitize(error, `Cannot resume consumer of "${consumer.queue}"`));
        }
      });
    });
    return channel;
  }

  async #checkExchange(exchange: string, routingKey: string, messageId: string): Promise<void> {
    try {
      await this.#withChannel((channel) => channel.checkExchange(exchange));
    } catch (error) {
      if (amqpErrorCode(error) === 404) {
        throw new UnroutableError(exchange, routingKey, messageId, `NOT_FOUND - no exchange "${exchange}"`);
      }
      throw this.#sanitize(error, `Cannot check exchange "${exchange}"`);
    }
    this.#knownExchanges.add(exchange);
  }

  /** Runs `work` on a short-lived channel: a channel error (404, 406) closes only that channel. */
  async #withChannel<T>(work: (channel: Channel) => Promise<T>): Promise<T> {
    this.#assertOpenForWork('use the broker');
    const connection = await this.#open();
    const channel = await connection.createChannel();
    channel.on('error', () => {});
    try {
      return await work(channel);
    } finally {
      await channel.close().catch(() => {});
    }
  }

  #assertOpenForWork(operation: string): void {
    if (this.#state === 'closing' || this.#state === 'closed') throw new TransportClosedError(operation);
  }

  #currentUrl(): string {
    return redactUrl(this.#urls[this.#urlIndex % this.#urls.length]!);
  }

  #sanitize(error: unknown, context: string): Error {
    // Already safe, and typed: a caller of get() or queueStats() must still see that it could not connect.
    if (error instanceof TransportClosedError || error instanceof ConnectionFailedError) return error;
    const message = error instanceof Error ? error.message : String(error);
    const detail = amqpErrorDetail(message);
    const sanitized = new Error(redactSecrets(`${context}: ${detail}`, this.#secrets));
    const code = amqpErrorCode(error);
    if (code !== undefined) (sanitized as Error & { amqpCode?: number }).amqpCode = code;
    return sanitized;
  }

  #emitError(error: unknown): void {
    const asError = error instanceof Error ? error : new Error(String(error));
    // eventemitter3 does not throw on an unheard 'error': nothing crashes if nobody listens.
    this.emit('error', asError);
  }
}
