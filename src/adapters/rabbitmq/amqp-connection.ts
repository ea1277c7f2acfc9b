import amqplib from 'amqplib';
import type { Channel, ChannelModel } from 'amqplib';
import type { EventEmitter } from 'eventemitter3';
import { ConnectionFailedError } from '../../errors/connection-failed-error.js';
import { ConnectionLostError } from '../../errors/connection-lost-error.js';
import { TransportClosedError } from '../../errors/transport-closed-error.js';
import { Signal, sleep } from '../../internal/signal.js';
import type { TransportEvents, TransportHealth, TransportState } from '../../messaging/transport.js';
import type { AmqpTransportSettings } from './amqp-transport-options.js';
import { redact, redactUrl } from '../../internal/redact.js';
import { connectArguments } from './amqp-url.js';
import { connectionFailure, isUnrecoverable } from './connection-failure.js';
import { watchSetup, type SetupWatch } from './connection-setup.js';
import { captureRawHeaders } from './raw-header-capture.js';
import { batchSocketWrites } from './write-batching.js';
import { watchForSilence } from './silence-watchdog.js';
import { amqpErrorCode, amqpErrorDetail } from './topology.js';

/** The transport's states (`TransportHealth.state`), which are the connection's. */
export type ConnectionState = TransportState;

/** What the rest of the transport does when the connection comes, goes, or the broker unblocks. */
export interface ConnectionHooks {
  /** Declares the topology again and resumes the consumers on a new connection, before it is current. */
  restore(connection: ChannelModel, setup: SetupWatch): Promise<void>;
  /** The current connection was lost: everything on its channels fails or waits for the next one. */
  lost(error: ConnectionLostError): void;
  /** The broker unblocked the connection: publishes waiting for it may go. */
  unblocked(): void;
}

/**
 * The connection of an `AmqpTransport`: the connect loop over the URL list with backoff, the reconnect
 * after a loss, the broker's blocked state, the lifecycle events, and the errors nobody waits for.
 */
export class AmqpConnection {
  readonly #settings: AmqpTransportSettings;
  readonly #events: EventEmitter<TransportEvents>;
  readonly #hooks: ConnectionHooks;

  #state: ConnectionState = 'idle';
  /** When `#state` last changed, for health(). */
  #since = Date.now();
  #connection: ChannelModel | undefined;
  #connecting: Promise<void> | undefined;
  #everConnected = false;
  #urlIndex = 0;
  #blocked = false;
  #blockedReason = '';
  /** Wakes whoever waits for "something changed": connected, a publish settled, unblocked, closing. */
  readonly changed = new Signal();
  readonly #stopping = new AbortController();

  constructor(
    settings: AmqpTransportSettings,
    events: EventEmitter<TransportEvents>,
    hooks: ConnectionHooks,
  ) {
    this.#settings = settings;
    this.#events = events;
    this.#hooks = hooks;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** The current connection, if one is open. */
  get current(): ChannelModel | undefined {
    return this.#connection;
  }

  /** Aborted when the transport closes: sleeps and retries end. */
  get stopping(): AbortSignal {
    return this.#stopping.signal;
  }

  get blocked(): boolean {
    return this.#blocked;
  }

  get blockedReason(): string {
    return this.#blockedReason;
  }

  /** The broker's reason while it blocks the connection, else `undefined`. */
  readonly blockedBy = (): string | undefined => (this.#blocked ? this.#blockedReason : undefined);

  /** The connection now (see `Transport.health`). */
  health(): TransportHealth {
    const connected = this.#state === 'open' && this.#connection !== undefined;
    return {
      status: connected && !this.#blocked ? 'up' : 'down',
      state: this.#state,
      connected,
      blocked: this.#blocked,
      ...(this.#blocked ? { blockedReason: this.#blockedReason } : {}),
      url: this.#currentUrl(),
      since: new Date(this.#since),
    };
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

  /** Connects if need be, and returns the connection. */
  async open(): Promise<ChannelModel> {
    for (;;) {
      await this.connect();
      if (this.#connection !== undefined) return this.#connection;
    }
  }

  /** Runs `work` on a short-lived channel: a channel error (404, 406) closes only that channel. */
  async withChannel<T>(work: (channel: Channel) => Promise<T>): Promise<T> {
    this.assertOpenForWork('use the broker');
    const connection = await this.open();
    const channel = await connection.createChannel();
    channel.on('error', () => {});
    try {
      return await work(channel);
    } finally {
      await channel.close().catch(() => {});
    }
  }

  assertOpenForWork(operation: string): void {
    if (this.#state === 'closing' || this.#state === 'closed') throw new TransportClosedError(operation);
  }

  /** Starts closing: no new work, no reconnect, waiters woken. Returns whether a connection was open. */
  beginClose(): boolean {
    const wasOpen = this.#state === 'open';
    this.#enter('closing');
    this.#stopping.abort();
    this.changed.notify();
    return wasOpen;
  }

  /** A connection attempt in flight, which ends first when closing (it sees the abort). */
  get connecting(): Promise<void> | undefined {
    return this.#connecting;
  }

  /** Marks the transport closed, runs `release` at once, then closes the connection itself. */
  async finishClose(wasOpen: boolean, release: () => void): Promise<void> {
    const connection = this.#connection;
    this.#connection = undefined;
    this.#enter('closed');
    release();
    if (connection !== undefined) {
      try {
        await connection.close();
      } catch {
        // Already closing or closed.
      }
    }
    if (wasOpen) this.#events.emit('disconnected', { url: this.#currentUrl() });
  }

  /** Removes the passwords of the URLs from `text`. */
  redact(text: string): string {
    return redact(text, this.#settings.secrets);
  }

  sanitize(error: unknown, context: string): Error {
    // Already safe, and typed: a caller of get() or queueStats() must still see that it could not connect.
    if (error instanceof TransportClosedError || error instanceof ConnectionFailedError) return error;
    const message = error instanceof Error ? error.message : String(error);
    const detail = amqpErrorDetail(message);
    const sanitized = new Error(this.redact(`${context}: ${detail}`));
    const code = amqpErrorCode(error);
    if (code !== undefined) (sanitized as Error & { amqpCode?: number }).amqpCode = code;
    return sanitized;
  }

  emitError(error: unknown): void {
    const asError = error instanceof Error ? error : new Error(String(error));
    // eventemitter3 does not throw on an unheard 'error': nothing crashes if nobody listens.
    this.#events.emit('error', asError);
  }

  async #connectLoop(): Promise<void> {
    const { urls, secrets, maxConnectAttempts, backoff } = this.#settings;
    this.#enter('connecting');
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      if (this.#stopping.signal.aborted) throw new TransportClosedError('connect');
      const url = urls[this.#urlIndex % urls.length]!;
      try {
        await this.#establish(url);
        return;
      } catch (error) {
        if (this.#stopping.signal.aborted) throw new TransportClosedError('connect');
        const progress = { attempts: attempt + 1, elapsedMs: Date.now() - started };
        const failure = connectionFailure(error, url, secrets, progress);
        // The first connection gives up when retrying cannot help, or after maxConnectAttempts.
        if (!this.#everConnected && (isUnrecoverable(failure) || attempt + 1 >= maxConnectAttempts)) {
          this.#enter('idle');
          throw failure;
        }
        if (this.#everConnected) this.emitError(failure);
        this.#urlIndex++;
        await sleep(backoff.delayMs(attempt), this.#stopping.signal);
      }
    }
  }

  async #establish(url: string): Promise<void> {
    const { heartbeatSeconds, socketOptions } = this.#settings;
    const connection = await amqplib.connect(...connectArguments(url, heartbeatSeconds, socketOptions));
    // A frozen network path (no FIN, no RST) is noticed after two heartbeats of silence.
    watchForSilence(connection);
    // Header tables as received, so that repeats and dead letters keep every value's wire type.
    captureRawHeaders(connection);
    // Each round of outgoing frames (acks, publishes) leaves in one socket write.
    batchSocketWrites(connection);
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
        this.#events.emit('blocked', reason);
      });
      connection.on('unblocked', () => {
        this.#blocked = false;
        this.changed.notify();
        this.#hooks.unblocked();
        this.#events.emit('unblocked');
      });
      await this.#hooks.restore(connection, setup);
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
    this.#enter('open');
    this.#everConnected = true;
    this.changed.notify();
    this.#events.emit('connected', { url: redactUrl(url) });
  }

  #onConnectionClosed(connection: ChannelModel, error: Error | undefined): void {
    if (connection !== this.#connection) return;
    this.#connection = undefined;
    // 'blocked' belongs to the connection that said it; a new connection starts unblocked.
    this.#blocked = false;
    const lost = new ConnectionLostError(
      `The connection to ${this.#currentUrl()} was lost${error ? `: ${this.redact(error.message)}` : ''}`,
    );
    this.#hooks.lost(lost);
    this.#events.emit('disconnected', { url: this.#currentUrl(), ...(error ? { error: lost } : {}) });
    if (this.#state !== 'open') return;
    this.#enter('connecting');
    this.connect().catch((reconnectError: unknown) => this.emitError(reconnectError));
  }

  #enter(state: ConnectionState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#since = Date.now();
  }

  #currentUrl(): string {
    const { urls } = this.#settings;
    return redactUrl(urls[this.#urlIndex % urls.length]!);
  }
}
