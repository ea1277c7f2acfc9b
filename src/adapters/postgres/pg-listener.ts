import type { Notification, Pool, PoolClient } from 'pg';
import type { Backoff } from '../../internal/backoff.js';
import { checkOut, type CheckedOutClient } from './pg-checkout.js';

export interface PgListenerOptions {
  pool: Pool;
  channel: string;
  /** `LISTEN "channel"` and `UNLISTEN "channel"`, quoted by the caller. */
  listenSql: string;
  unlistenSql: string;
  backoff: Backoff;
  /** Called on each notification on the channel, and once after every reconnection. */
  onNotify: () => void;
  /** Errors nobody waits for: the connection was lost (a reconnection follows), a reconnection failed. */
  onError: (error: Error) => void;
}

/**
 * One LISTEN connection: a client checked out of the pool for as long as it listens. It reports its
 * loss once, whichever of `'error'` and `'end'` comes first, and only after `LISTEN` has succeeded
 * (before that, the failing `LISTEN` query itself reports it).
 */
class ListenSession {
  #closed = false;
  #error: Error | undefined;
  #onLost: ((error: Error) => void) | undefined;

  readonly #handleError = (error: Error): void => this.#lose(error);
  readonly #handleEnd = (): void => this.#lose(new Error('The LISTEN connection ended'));
  readonly #handleNotification: (message: Notification) => void;

  readonly client: PoolClient;

  constructor(checkedOut: CheckedOutClient, channel: string, onNotify: () => void) {
    const client = checkedOut.client;
    this.client = client;
    this.#handleNotification = (message) => {
      if (message.channel === channel) onNotify();
    };
    // Attached before anything else: pg-pool leaves a checked-out client without an 'error' listener,
    // and an unhandled 'error' event would crash the process.
    client.on('error', this.#handleError);
    client.on('end', this.#handleEnd);
    client.on('notification', this.#handleNotification);
    const early = checkedOut.takeEarlyError();
    if (early !== undefined) this.#lose(early);
  }

  /** Starts reporting the loss of the connection; false if it is already lost. */
  arm(onLost: (error: Error) => void): boolean {
    if (this.#closed) return false;
    this.#onLost = onLost;
    return true;
  }

  get error(): Error | undefined {
    return this.#error;
  }

  #lose(error: Error): void {
    if (this.#closed) return;
    this.#error = error;
    this.#close(error);
    this.#onLost?.(error);
  }

  /** Detaches and releases the client; with an error, the pool destroys it instead of reusing it. */
  #close(error?: Error): void {
    this.#closed = true;
    this.client.off('error', this.#handleError);
    this.client.off('end', this.#handleEnd);
    this.client.off('notification', this.#handleNotification);
    this.client.release(error);
  }

  /** Gives up the connection after a failed `LISTEN`. */
  discard(error: unknown): void {
    if (this.#closed) return;
    this.#close(error instanceof Error ? error : new Error(String(error)));
  }

  /** Stops listening and returns a healthy client to the pool. */
  async stop(unlistenSql: string): Promise<void> {
    if (this.#closed) return;
    this.#onLost = undefined;
    try {
      await this.client.query(unlistenSql);
    } catch (error) {
      this.discard(error);
      return;
    }
    if (!this.#closed) this.#close();
  }
}

/**
 * A LISTEN that survives the loss of its connection: it reconnects with backoff, for as long as it is not
 * stopped, and then calls `onNotify` once, since notifications sent while it was away are lost.
 */
export class PgListener {
  readonly #options: PgListenerOptions;
  #session: ListenSession | undefined;
  #timer: NodeJS.Timeout | undefined;
  #failures = 0;
  #stopped = false;

  constructor(options: PgListenerOptions) {
    this.#options = options;
  }

  /** Listens; rejects if the first connection or `LISTEN` fails (nothing is retried then). */
  async start(): Promise<void> {
    this.#session = await this.#open();
  }

  /**
   * Stops listening and gives the client back. A reconnection under way is not awaited (against an
   * unreachable server it could take until the connect timeout): it gives its client back when it ends.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const session = this.#session;
    this.#session = undefined;
    await session?.stop(this.#options.unlistenSql);
  }

  async #open(): Promise<ListenSession> {
    const { pool, channel, listenSql } = this.#options;
    const session = new ListenSession(await checkOut(pool), channel, () => this.#notify());
    try {
      await session.client.query(listenSql);
    } catch (error) {
      session.discard(error);
      throw error;
    }
    if (!session.arm((error) => this.#lost(error))) {
      throw session.error ?? new Error('The LISTEN connection was lost');
    }
    return session;
  }

  #lost(error: Error): void {
    this.#session = undefined;
    if (this.#stopped) return;
    this.#report(error);
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    const delayMs = this.#options.backoff.delayMs(this.#failures++);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#reconnect();
    }, delayMs);
    // The retry alone should not keep a process alive that has nothing else to do.
    this.#timer.unref();
  }

  #reconnect(): void {
    if (this.#stopped) return;
    if (this.#options.pool.ending) {
      this.#report(new Error('The pool was ended: the outbox watch stopped listening'));
      return;
    }
    void this.#open().then(
      async (session) => {
        if (this.#stopped) {
          await session.stop(this.#options.unlistenSql);
          return;
        }
        this.#session = session;
        this.#failures = 0;
        this.#notify();
      },
      (error: unknown) => {
        if (this.#stopped) return;
        this.#report(error instanceof Error ? error : new Error(String(error)));
        this.#scheduleReconnect();
      },
    );
  }

  #notify(): void {
    try {
      this.#options.onNotify();
    } catch (error) {
      this.#report(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #report(error: Error): void {
    try {
      this.#options.onError(error);
    } catch {
      // An error handler that throws must not take the LISTEN connection (or the process) down with it.
    }
  }
}
