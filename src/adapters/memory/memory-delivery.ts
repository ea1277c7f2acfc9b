import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { assertKnownOptions, describeValue } from '../../internal/options.js';
import type { Delivery } from '../../messaging/transport.js';
import { NACK_OPTION_KEYS } from '../../messaging/transport-keys.js';
import type { MemoryQueue } from './memory-queue.js';
import { copyProperties, type StoredProperties } from './message-properties.js';
import type { QueuedMessage } from './stored-message.js';

/** Orders deliveries, so that requeueing several at close puts them back in their original order. */
let lastSequence = 0;

/**
 * One delivery of a queued message. It carries copies of the body and properties, so whatever the
 * handler does to them, a requeued or dead-lettered message is the one that was published.
 */
export class MemoryDelivery implements Delivery {
  readonly queue: string;
  readonly exchange: string;
  readonly routingKey: string;
  readonly redelivered: boolean;
  readonly content: Buffer;
  readonly properties: StoredProperties;
  readonly sequence = ++lastSequence;
  readonly #source: MemoryQueue;
  readonly #queued: QueuedMessage;
  readonly #onSettled: (delivery: MemoryDelivery) => void;
  #settled = false;

  constructor(source: MemoryQueue, queued: QueuedMessage, onSettled: (delivery: MemoryDelivery) => void) {
    const { message } = queued;
    this.queue = source.name;
    this.exchange = message.exchange;
    this.routingKey = message.routingKey;
    this.redelivered = queued.redelivered;
    this.content = Buffer.from(message.content);
    this.properties = copyProperties(message.properties);
    this.#source = source;
    this.#queued = queued;
    this.#onSettled = onSettled;
  }

  /**
   * Acknowledges the message: it leaves the queue for good.
   * @returns `false` when it was already settled, or its transport has closed (and requeued it).
   * @example
   * await bill(delivery);
   * delivery.ack();
   */
  ack(): boolean {
    return this.#settle();
  }

  /**
   * Rejects the message: `requeue: true` puts it back at the head of its queue (redelivered), `false`
   * dead-letters it through the queue's dead-letter exchange, or drops it when the queue has none.
   * @returns `false` when it was already settled, or its transport has closed (and requeued it).
   * @example
   * delivery.nack({ requeue: false }); // to the dead-letter queue, reason 'rejected'
   */
  nack(options: { requeue: boolean }): boolean {
    assertKnownOptions(options, NACK_OPTION_KEYS, 'nack');
    const requeue = (options as { requeue?: unknown } | undefined)?.requeue;
    if (typeof requeue !== 'boolean') {
      throw new InvalidArgumentError(`nack: requeue must be true or false, got ${describeValue(requeue)}`);
    }
    if (!this.#settle()) return false;
    if (requeue) this.#source.requeue(this.#queued);
    else this.#source.reject(this.#queued);
    return true;
  }

  /** Whether it is still waiting for `ack` or `nack`. */
  get unsettled(): boolean {
    return !this.#settled;
  }

  /**
   * Gives the message back to its queue, as the broker does when a channel closes with it unsettled.
   * Later `ack`/`nack` calls return `false`.
   */
  revoke(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#source.requeue(this.#queued);
  }

  #settle(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    this.#onSettled(this);
    return true;
  }
}
