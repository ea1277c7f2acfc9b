import type { ScriptedClient } from './increment-script.js';

/** Statuses in which the client is known to be disconnected and waiting to retry: fail at once. */
const DOWN_STATUSES = new Set(['reconnecting', 'close', 'disconnecting']);

const noop = (): void => {};

/** The client is not connected; `cause` is its last connection error, if any. */
export class Disconnected extends Error {
  constructor(
    readonly status: string,
    cause: unknown,
  ) {
    super(`client ${status}`, cause === undefined ? undefined : { cause });
  }
}

/**
 * Hands out the counter's client once it is `ready`, and only then: commands are never queued on a
 * client that is not connected, since a queued `INCR` that ran minutes later, after the consumer had
 * given up on it, would count a delivery twice. A client known to be down fails at once (with a
 * `Disconnected`) rather than wait, and reconnects on its own in the background.
 */
export class ClientReadiness {
  /** The last error of a client the counter owns: the cause when a call fails fast. */
  #lastError: unknown;
  #wait: { promise: Promise<void>; abort: (error: Error) => void } | undefined;

  constructor(
    readonly client: ScriptedClient,
    /** Whether the counter created the client (from `url`): only then may it connect it again. */
    private readonly owned: boolean,
  ) {
    // Without an 'error' listener ioredis logs every failed reconnect; with one, the last error
    // becomes the cause of the next fast failure instead.
    if (owned) client.on('error', (error) => void (this.#lastError = error));
  }

  /** Resolves with the client once it is ready; rejects at once if it is known to be down. */
  async ready(): Promise<ScriptedClient> {
    const client = this.client;
    const status = client.status;
    if (status === 'ready') return client;
    if (DOWN_STATUSES.has(status) || (status === 'end' && !this.owned)) {
      throw new Disconnected(status, this.#lastError);
    }
    // 'wait' (lazy, never connected) or 'end' (an owned client that gave up): start connecting.
    if (status === 'wait' || status === 'end') client.connect().catch(noop);
    await this.#waitForReady(client);
    return client;
  }

  /** Ends a wait in progress, if any, with `error`: the counter was closed. */
  abort(error: Error): void {
    this.#wait?.abort(error);
  }

  /** One shared wait per connection attempt, so concurrent calls add no listeners of their own. */
  #waitForReady(client: ScriptedClient): Promise<void> {
    if (this.#wait !== undefined) return this.#wait.promise;
    let lastError: unknown;
    let settle!: (error?: Error) => void;
    const promise = new Promise<void>((resolve, reject) => {
      const onReady = (): void => settle();
      const onError = (error: Error): void => void (lastError = error);
      const onClose = (): void => settle(new Disconnected('closed', lastError ?? this.#lastError));
      settle = (error?: Error) => {
        client.off('ready', onReady);
        client.off('error', onError);
        client.off('close', onClose);
        client.off('end', onClose);
        this.#wait = undefined;
        if (error === undefined) resolve();
        else reject(error);
      };
      client.on('ready', onReady);
      client.on('error', onError);
      client.on('close', onClose);
      client.on('end', onClose);
    });
    // Callers may all have timed out by the time it settles; the rejection is theirs, not unhandled.
    promise.catch(noop);
    this.#wait = { promise, abort: (error) => settle(error) };
    return promise;
  }
}
