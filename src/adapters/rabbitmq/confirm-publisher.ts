import type { ConfirmChannel, Message, Options } from 'amqplib';
import { ConnectionLostError } from '../../errors/connection-lost-error.js';
import { HeadersTooLargeError } from '../../errors/headers-too-large-error.js';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { PublishNackedError } from '../../errors/publish-nacked-error.js';
import { PublishTimeoutError } from '../../errors/publish-timeout-error.js';
import { UnroutableError } from '../../errors/unroutable-error.js';
import { headerTableBytes, MAX_HEADER_TABLE_BYTES } from '../../messaging/header-table-size.js';
import type { MessageProperties, OutgoingMessage } from '../../messaging/transport.js';

interface Pending {
  readonly messageId: string;
  readonly exchange: string;
  readonly routingKey: string;
  returned: { replyText: string } | undefined;
  settled: boolean;
  readonly deadline: number;
  readonly timeoutMs: number;
  resolve(): void;
  reject(error: Error): void;
}

/**
 * Publishes on one confirm channel. Every publish is `mandatory` and settles exactly once:
 * - the broker's ack resolves it — unless the message was returned first, then `UnroutableError`
 *   (RabbitMQ sends `basic.return` before the `basic.ack` of the same message);
 * - a nack rejects with `PublishNackedError`; the timeout with `PublishTimeoutError`;
 * - the channel closing first rejects with `ConnectionLostError` (the outcome is unknown).
 *
 * amqplib matches confirms to messages by delivery tag, including `multiple=true` and out-of-order
 * acks; returned messages carry no delivery tag, so they are matched by message id.
 */
export class ConfirmPublisher {
  readonly #channel: ConfirmChannel;
  #inFlight = 0;
  #closedError: Error | undefined;
  // One sweep timer for all unconfirmed publishes rather than one timer each: cheaper at 10k msgs/s.
  // In publish order, which is also how a returned message finds its publish (oldest first).
  readonly #pending = new Set<Pending>();
  #sweep: NodeJS.Timeout | undefined;
  #drained: Promise<void> | undefined;
  #releaseDrain: (() => void) | undefined;
  #stale = false;

  constructor(
    channel: ConfirmChannel,
    /** Called after each settled publish: a slot of the in-flight window is free again. */
    private readonly onSettled: () => void = () => {},
    /** Called once, when a nack or a missing confirm marks the channel stale (see nack-failover.ts). */
    private readonly onStale: () => void = () => {},
    /**
     * Whether the broker blocks the connection now (a resource alarm): a confirm missing then is the
     * alarm's doing, not the channel's, so it does not mark the channel stale.
     */
    private readonly isBlocked: () => boolean = () => false,
  ) {
    this.#channel = channel;
    channel.on('return', (message: Message) => this.#onReturn(message));
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get closed(): boolean {
    return this.#closedError !== undefined;
  }

  /**
   * The broker nacked a publish, or let one time out (not while it blocked the connection), on this
   * channel: new publishes must go to a fresh channel. This one closes by itself once its last publish has settled.
   */
  get stale(): boolean {
    return this.#stale;
  }

  /** Resolves when the socket buffer has room again (amqplib's `publish()` returned false). */
  waitForDrain(): Promise<void> | undefined {
    return this.#drained;
  }

  /** `wholeTimeoutMs`: what a `PublishTimeoutError` names, when this is a retry with less time left. */
  publish(
    message: OutgoingMessage,
    messageId: string,
    timeoutMs: number,
    wholeTimeoutMs = timeoutMs,
  ): Promise<void> {
    if (this.#closedError !== undefined) return Promise.reject(this.#closedError);
    return new Promise<void>((resolve, reject) => {
      const pending: Pending = {
        messageId,
        exchange: message.exchange,
        routingKey: message.routingKey,
        returned: undefined,
        settled: false,
        deadline: Date.now() + timeoutMs,
        timeoutMs: wholeTimeoutMs,
        resolve,
        reject,
      };
      this.#track(pending);
      let writable: boolean;
      try {
        writable = this.#channel.publish(
          message.exchange,
          message.routingKey,
          message.content,
          publishOptions(message.properties, messageId),
          (error: unknown) => this.#onConfirm(pending, error),
        );
      } catch (error) {
        // amqplib throws synchronously for a closed channel, or when it cannot encode the properties
        // (before writing anything: the channel stays usable).
        this.#settle(pending, this.closed ? this.#closedError! : encodingError(error, message, messageId));
        return;
      }
      if (!writable && this.#drained === undefined) {
        this.#drained = new Promise((done) => {
          this.#releaseDrain = () => {
            this.#drained = undefined;
            this.#releaseDrain = undefined;
            done();
          };
          this.#channel.once('drain', this.#releaseDrain);
        });
      }
    });
  }

  /** Closes the channel (after the broker has processed everything sent on it). */
  async close(): Promise<void> {
    try {
      await this.#channel.close();
    } catch {
      // Already closed.
    }
  }

  /** The channel closed: every unsettled publish is rejected (amqplib also calls back, harmlessly). */
  channelClosed(reason: Error): void {
    this.#closedError ??= reason;
    // A dead channel never drains: whoever waits for it must go and find the next channel.
    this.#releaseDrain?.();
    for (const pending of [...this.#pending]) this.#settle(pending, this.#closedError);
    this.#stopSweep();
  }

  #onConfirm(pending: Pending, error: unknown): void {
    if (error === null || error === undefined) {
      if (pending.returned !== undefined) {
        const { replyText } = pending.returned;
        this.#settle(
          pending,
          new UnroutableError(pending.exchange, pending.routingKey, pending.messageId, replyText),
        );
      } else {
        this.#settle(pending, undefined);
      }
      return;
    }
    const nacked = error instanceof Error && error.message === 'message nacked';
    if (nacked) this.#markStale();
    this.#settle(
      pending,
      nacked
        ? new PublishNackedError(pending.exchange, pending.routingKey, pending.messageId)
        : (this.#closedError ??
            new ConnectionLostError('The channel closed before the broker confirmed the message')),
    );
  }

  #expire(): void {
    // Stopped here, once a sweep finds nothing left, rather than when the last publish settles: one
    // publish at a time would otherwise start and stop a timer per message.
    if (this.#pending.size === 0) {
      this.#stopSweep();
      return;
    }
    const now = Date.now();
    for (const pending of this.#pending) {
      if (pending.deadline <= now) {
        if (!this.isBlocked()) this.#markStale();
        this.#settle(
          pending,
          new PublishTimeoutError(pending.exchange, pending.routingKey, pending.messageId, pending.timeoutMs),
        );
      }
    }
  }

  #onReturn(message: Message): void {
    const messageId = (message.properties as { messageId?: unknown }).messageId;
    if (typeof messageId !== 'string') return;
    const { exchange, routingKey } = message.fields as { exchange: string; routingKey: string };
    // The oldest unconfirmed publish with this id *and this destination* is the one coming back: two
    // publishes may share an id (an outbox row, a seed event_id) and go to different places. A scan, as
    // returns are rare: an index by message id cost every publish a map entry and an array.
    for (const candidate of this.#pending) {
      if (
        candidate.messageId === messageId &&
        candidate.returned === undefined &&
        candidate.exchange === exchange &&
        candidate.routingKey === routingKey
      ) {
        candidate.returned = {
          replyText: (message.fields as { replyText?: string }).replyText ?? 'NO_ROUTE',
        };
        return;
      }
    }
  }

  #track(pending: Pending): void {
    this.#inFlight++;
    this.#pending.add(pending);
    this.#sweep ??= setInterval(() => this.#expire(), SWEEP_INTERVAL_MS);
  }

  #settle(pending: Pending, error: Error | undefined): void {
    if (pending.settled) return;
    pending.settled = true;
    this.#inFlight--;
    this.#pending.delete(pending);
    if (error === undefined) pending.resolve();
    else pending.reject(error);
    this.onSettled();
    if (this.#stale && this.#inFlight === 0 && this.#closedError === undefined) void this.close();
  }

  #stopSweep(): void {
    if (this.#sweep === undefined) return;
    clearInterval(this.#sweep);
    this.#sweep = undefined;
  }

  #markStale(): void {
    if (this.#stale) return;
    this.#stale = true;
    this.onStale();
  }
}

const SWEEP_INTERVAL_MS = 50;

/** amqplib's publish options: persistent unless said otherwise, always mandatory, always with an id. */
function publishOptions(properties: MessageProperties, messageId: string): Options.Publish {
  const options: Options.Publish = { deliveryMode: properties.deliveryMode ?? 2, mandatory: true, messageId };
  if (properties.contentType !== undefined) options.contentType = properties.contentType;
  if (properties.contentEncoding !== undefined) options.contentEncoding = properties.contentEncoding;
  if (properties.correlationId !== undefined) options.correlationId = properties.correlationId;
  if (properties.appId !== undefined) options.appId = properties.appId;
  if (properties.type !== undefined) options.type = properties.type;
  if (properties.timestamp !== undefined) options.timestamp = properties.timestamp;
  if (properties.expiration !== undefined) options.expiration = properties.expiration;
  if (properties.replyTo !== undefined) options.replyTo = properties.replyTo;
  if (properties.priority !== undefined) options.priority = properties.priority;
  if (properties.headers !== undefined) options.headers = properties.headers;
  return options;
}

/**
 * What amqplib's synchronous throw means, as a typed error: headers beyond its 64 KiB buffer are a
 * `HeadersTooLargeError`; another encoding failure (a 300-character message id, a priority of 300, a
 * bigint header) an `InvalidArgumentError` that keeps amqplib's words.
 */
function encodingError(error: unknown, message: OutgoingMessage, messageId: string): Error {
  const headers = message.properties.headers;
  if (headers !== undefined) {
    let bytes: number;
    try {
      bytes = headerTableBytes(headers);
    } catch (tooDeep) {
      return asError(tooDeep);
    }
    if (bytes > MAX_HEADER_TABLE_BYTES)
      return new HeadersTooLargeError(messageId, bytes, MAX_HEADER_TABLE_BYTES);
  }
  if (error instanceof RangeError || error instanceof TypeError) {
    return new InvalidArgumentError(`publish: message ${messageId} cannot be encoded: ${error.message}`, {
      cause: error,
    });
  }
  return asError(error);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
