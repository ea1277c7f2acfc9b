import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { assertKnownOptions, describeValue } from '../../internal/options.js';
import type { TransportConsumer, DeliveryHandler } from '../../messaging/transport.js';
import { CONSUME_OPTION_KEYS } from '../../messaging/transport-keys.js';
import { MemoryDelivery } from './memory-delivery.js';
import type { MemoryQueue, QueueConsumer } from './memory-queue.js';
import type { QueuedMessage } from './stored-message.js';

/** What a consumer reports to the transport that owns it. */
export interface ConsumerOwner {
  /** A delivery was handed out; the owner requeues it at close if it is still unsettled then. */
  delivered(delivery: MemoryDelivery): void;
  settled(delivery: MemoryDelivery): void;
  /** The consumer takes no more deliveries (cancelled, or its queue was deleted). */
  stopped(consumer: MemoryConsumer): void;
  /** Something went wrong that no caller is waiting for. */
  error(error: Error): void;
}

const noop = (): void => {};
/** AMQP's prefetch count is an unsigned 16-bit number. */
const MAX_PREFETCH = 0xffff;

/**
 * Feeds a queue's messages to a handler, at most `prefetch` unsettled at a time; handlers of different
 * deliveries run concurrently, as with an AMQP channel.
 *
 * A handler that rejects (or throws) and left its delivery unsettled gets it nacked without requeue, so
 * it is dead-lettered rather than redelivered in a tight loop; the error is reported either way.
 */
export class MemoryConsumer implements TransportConsumer, QueueConsumer {
  readonly #source: MemoryQueue;
  readonly #handler: DeliveryHandler;
  readonly #prefetch: number;
  readonly #owner: ConsumerOwner;
  readonly #running = new Set<Promise<void>>();
  #unsettled = 0;
  #stopped = false;

  constructor(source: MemoryQueue, handler: DeliveryHandler, prefetch: number, owner: ConsumerOwner) {
    this.#source = source;
    this.#handler = handler;
    this.#prefetch = prefetch;
    this.#owner = owner;
  }

  get queue(): string {
    return this.#source.name;
  }

  get hasCapacity(): boolean {
    return !this.#stopped && this.#unsettled < this.#prefetch;
  }

  /**
   * Stops new deliveries and resolves once the handlers already running have finished. Deliveries still
   * unsettled then stay with the transport and can be settled until it closes (AMQP keeps them with the
   * channel); `close()` requeues those never settled.
   * @example
   * const consumer = await transport.consume('billing.orders', handle, { prefetch: 10 });
   * await consumer.cancel();
   */
  cancel(): Promise<void> {
    this.#stop();
    return this.idle();
  }

  /** Resolves when no handler of this consumer is running. */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all(this.#running);
  }

  deliver(queued: QueuedMessage, queue: MemoryQueue): void {
    this.#unsettled++;
    const delivery = new MemoryDelivery(queue, queued, (settled) => {
      this.#unsettled--;
      this.#owner.settled(settled);
      queue.scheduleDrain();
    });
    this.#owner.delivered(delivery);
    this.#run(delivery);
  }

  queueDeleted(): void {
    if (this.#stopped) return;
    this.#stop();
    this.#owner.error(
      new Error(`The consumer of queue "${this.queue}" was cancelled: the queue was deleted`),
    );
  }

  #stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#source.removeConsumer(this);
    this.#owner.stopped(this);
  }

  #run(delivery: MemoryDelivery): void {
    let result: unknown;
    try {
      result = this.#handler(delivery);
    } catch (error) {
      this.#failed(delivery, error);
      return;
    }
    if (!isThenable(result)) return;
    const running: Promise<void> = Promise.resolve(result)
      .then(noop, (error: unknown) => this.#failed(delivery, error))
      .finally(() => this.#running.delete(running));
    this.#running.add(running);
  }

  #failed(delivery: MemoryDelivery, error: unknown): void {
    if (delivery.unsettled) delivery.nack({ requeue: false });
    this.#owner.error(error instanceof Error ? error : new Error(String(error), { cause: error }));
  }
}

/** The `prefetch` of consume options: an integer from 1 to 65535 (0, "unlimited" in AMQP, is refused). */
export function prefetchOf(options: unknown): number {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(
      `consume: options { prefetch } are required, got ${describeValue(options)}`,
    );
  }
  assertKnownOptions(options, CONSUME_OPTION_KEYS, 'consume');
  const { prefetch } = options as { prefetch?: unknown };
  if (
    typeof prefetch !== 'number' ||
    !Number.isInteger(prefetch) ||
    prefetch < 1 ||
    prefetch > MAX_PREFETCH
  ) {
    throw new InvalidArgumentError(
      `consume: prefetch must be an integer from 1 to ${MAX_PREFETCH}, got ${describeValue(prefetch)}`,
    );
  }
  return prefetch;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
