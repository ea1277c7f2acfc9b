import { Deque } from './deque.js';
import type { BrokerDeathReason, QueuedMessage, StoredMessage } from './stored-message.js';

/** A queue as declared: what a later declaration must match, and how it expires and dead-letters. */
export interface QueueDefinition {
  readonly name: string;
  readonly durable: boolean;
  readonly deadLetterExchange: string | undefined;
  readonly deadLetterRoutingKey: string | undefined;
  readonly messageTtlMs: number | undefined;
  readonly queueType: 'classic' | 'quorum';
  /** Recorded for equivalence only: this broker dead-letters synchronously, so never loses one. */
  readonly deadLetterStrategy: 'at-most-once' | 'at-least-once';
}

/** What a queue needs of a consumer. */
export interface QueueConsumer {
  /** Whether it may take one more delivery now (its prefetch is not used up). */
  readonly hasCapacity: boolean;
  /** Hands over one message; the consumer owns it until it is settled. */
  deliver(queued: QueuedMessage, queue: MemoryQueue): void;
  /** The queue was deleted under the consumer: no more deliveries will come. */
  queueDeleted(): void;
}

export type DeadLetterSink = (queue: MemoryQueue, message: StoredMessage, reason: BrokerDeathReason) => void;

/**
 * Deliveries handed out per turn of the event loop, at most. Large enough for throughput, small enough
 * that a long queue with synchronous handlers does not starve timers and I/O.
 */
const DRAIN_BATCH = 512;

/**
 * A queue: ready messages in order, consumers served round-robin within their prefetch, and expiry.
 *
 * Expiry works as in RabbitMQ: only the message at the head expires (one at the back with a short
 * per-message TTL waits behind the others), a requeued message keeps its original expiry, and an
 * expired message is never delivered. One unref'd timer per queue, for the head, so that a message with
 * a long TTL never keeps the process alive.
 */
export class MemoryQueue {
  readonly #ready = new Deque<QueuedMessage>();
  readonly #consumers: QueueConsumer[] = [];
  readonly #deadLetter: DeadLetterSink;
  #nextConsumer = 0;
  #drainScheduled = false;
  #draining = false;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = 0;
  #deleted = false;

  constructor(
    readonly definition: QueueDefinition,
    deadLetter: DeadLetterSink,
  ) {
    this.#deadLetter = deadLetter;
  }

  get name(): string {
    return this.definition.name;
  }

  get deleted(): boolean {
    return this.#deleted;
  }

  /** Ready messages (not those delivered and unsettled), after removing the expired ones at the head. */
  get messageCount(): number {
    this.#expireHead(Date.now());
    return this.#ready.length;
  }

  get consumerCount(): number {
    return this.#consumers.length;
  }

  enqueue(message: StoredMessage, now: number): void {
    if (this.#deleted) return;
    const ttl = minTtl(this.definition.messageTtlMs, message.ttlMs);
    this.#ready.push({ message, expiresAt: ttl === undefined ? undefined : now + ttl, redelivered: false });
    this.#changed();
  }

  /** Puts a delivered message back at the head, marked redelivered; its expiry is unchanged. */
  requeue(queued: QueuedMessage): void {
    if (this.#deleted) return;
    queued.redelivered = true;
    this.#ready.unshift(queued);
    this.#changed();
  }

  /** Dead-letters a delivered message (a rejection). */
  reject(queued: QueuedMessage): void {
    if (!this.#deleted) this.#deadLetter(this, queued.message, 'rejected');
  }

  /** Takes the next live message for a delivery or `basic.get`. */
  take(): QueuedMessage | undefined {
    this.#expireHead(Date.now());
    const queued = this.#ready.shift();
    this.#scheduleExpiry();
    return queued;
  }

  /** Removes every ready message; returns how many. */
  purge(): number {
    const count = this.#ready.clear();
    this.#scheduleExpiry();
    return count;
  }

  addConsumer(consumer: QueueConsumer): void {
    this.#consumers.push(consumer);
    this.scheduleDrain();
  }

  removeConsumer(consumer: QueueConsumer): void {
    const index = this.#consumers.indexOf(consumer);
    if (index < 0) return;
    this.#consumers.splice(index, 1);
    if (this.#nextConsumer > index) this.#nextConsumer--;
  }

  /** Drops every message and timer, and tells the consumers they will get nothing more. */
  delete(): void {
    if (this.#deleted) return;
    this.#deleted = true;
    this.#ready.clear();
    this.#scheduleExpiry();
    for (const consumer of this.#consumers.splice(0)) consumer.queueDeleted();
  }

  /**
   * Delivers on a later turn of the event loop, never inside the publish (or ack) that made it possible:
   * a handler must not run inside its caller's stack.
   */
  scheduleDrain(): void {
    if (this.#drainScheduled || this.#draining || this.#deleted) return;
    if (this.#ready.length === 0 || this.#consumers.length === 0) return;
    this.#drainScheduled = true;
    setImmediate(() => this.#drain());
  }

  #drain(): void {
    this.#drainScheduled = false;
    if (this.#deleted) return;
    let delivered = 0;
    // While draining, handlers that ack synchronously free capacity that this loop uses at once.
    this.#draining = true;
    try {
      for (; delivered < DRAIN_BATCH; delivered++) {
        const consumer = this.#pickConsumer();
        if (!consumer) break;
        const queued = this.take();
        if (!queued) break;
        consumer.deliver(queued, this);
      }
    } finally {
      this.#draining = false;
    }
    if (delivered === DRAIN_BATCH) this.scheduleDrain();
  }

  /** The next consumer with room, round-robin. */
  #pickConsumer(): QueueConsumer | undefined {
    const count = this.#consumers.length;
    for (let i = 0; i < count; i++) {
      const index = (this.#nextConsumer + i) % count;
      const consumer = this.#consumers[index];
      if (consumer?.hasCapacity) {
        this.#nextConsumer = (index + 1) % count;
        return consumer;
      }
    }
    return undefined;
  }

  #changed(): void {
    this.scheduleDrain();
    this.#scheduleExpiry();
  }

  #expireHead(now: number): void {
    for (let head = this.#ready.peek(); head; head = this.#ready.peek()) {
      if (head.expiresAt === undefined || head.expiresAt > now) return;
      this.#ready.shift();
      this.#deadLetter(this, head.message, 'expired');
    }
  }

  /**
   * Keeps one timer, due when the message now at the head expires. A timer already due earlier is kept:
   * it looks again when it fires, which spares a clear and set per delivery on a busy queue with a TTL.
   */
  #scheduleExpiry(): void {
    const due = this.#deleted ? undefined : this.#ready.peek()?.expiresAt;
    if (due === undefined) {
      if (this.#ready.length === 0) this.#clearTimer();
      return;
    }
    if (this.#timer !== undefined && this.#timerAt <= due) return;
    this.#clearTimer();
    this.#timerAt = due;
    this.#timer = setTimeout(() => this.#onTimer(), Math.max(0, due - Date.now()));
    this.#timer.unref();
  }

  #clearTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #onTimer(): void {
    this.#timer = undefined;
    this.#expireHead(Date.now());
    // Timers may fire a millisecond early; then the head is still live and the timer is set again.
    this.#scheduleExpiry();
  }
}

function minTtl(queueTtl: number | undefined, messageTtl: number | undefined): number | undefined {
  if (queueTtl === undefined) return messageTtl;
  if (messageTtl === undefined) return queueTtl;
  return Math.min(queueTtl, messageTtl);
}
