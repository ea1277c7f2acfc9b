import type { Channel, Message } from 'amqplib';

/**
 * Acks of one consumer channel, sent together: one `basic.ack` with `multiple` for every delivery settled
 * in a turn of the event loop, where amqplib sends one frame per message.
 *
 * Acking costs both sides per frame: the client encodes and writes it, the broker reads and processes it
 * (on the machine the benchmarks run on, RabbitMQ's share of the CPU was larger than the client's). So
 * acks are collected until the current turn's microtasks have run (`process.nextTick`, before amqplib's
 * own multiplexer would have written them) and then sent as:
 * - one `ack(multiple)` for the highest acked delivery below the lowest one still being handled: every
 *   delivery up to it is settled (acked now, or nacked already), so "all up to" acks exactly those;
 * - a plain ack each for the others (a slow handler below them must not hold up their prefetch slots).
 *
 * Nacks are sent at once, as before: after a nack the message is no longer outstanding, so a later
 * `ack(multiple)` over its tag does not touch it. A channel that is no longer live sends nothing (the
 * broker redelivers what it delivered on it).
 */
export class AckBatch {
  /** The lowest delivery tag not yet settled (all below it are); set by the first delivery. */
  #frontier: number | undefined;
  /** Tags settled above the frontier, waiting for it to reach them. */
  readonly #settledAhead = new Set<number>();
  /**
   * Set when the tags turned out not to follow each other (something else consumed on the channel): the
   * frontier can no longer be trusted, so every ack goes out on its own.
   */
  #unbatched = false;
  /** Acked, not yet sent. */
  #acks: Message[] = [];
  #scheduled = false;

  constructor(
    private readonly channel: Channel,
    /** Whether the channel is still the consumer's live one. */
    private readonly live: () => boolean,
  ) {}

  /** A delivery arrived on the channel (in tag order). */
  delivered(message: Message): void {
    this.#frontier ??= message.fields.deliveryTag;
  }

  /** Queues the ack of `message`; sent once the current turn's microtasks have run. */
  ack(message: Message): void {
    this.#settle(message.fields.deliveryTag);
    this.#acks.push(message);
    if (!this.#scheduled) {
      this.#scheduled = true;
      process.nextTick(() => this.flush());
    }
  }

  /** Nacks `message` now. */
  nack(message: Message, requeue: boolean): void {
    this.#settle(message.fields.deliveryTag);
    this.channel.nack(message, false, requeue);
  }

  /** Sends the queued acks (also called before the channel closes). */
  flush(): void {
    this.#scheduled = false;
    const acks = this.#acks;
    if (acks.length === 0) return;
    this.#acks = [];
    if (!this.live()) return;
    const frontier = this.#unbatched ? 0 : (this.#frontier ?? 0);
    let covered: Message | undefined;
    try {
      for (const message of acks) {
        const tag = message.fields.deliveryTag;
        if (tag >= frontier) this.channel.ack(message);
        else if (covered === undefined || tag > covered.fields.deliveryTag) covered = message;
      }
      if (covered !== undefined) this.channel.ack(covered, true);
    } catch {
      // The channel closed under us: the broker redelivers what it had not seen acked.
    }
  }

  #settle(tag: number): void {
    if (this.#unbatched) return;
    if (tag !== this.#frontier) {
      this.#settledAhead.add(tag);
      // Far more settled ahead than any prefetch allows: a tag below never came to this consumer.
      if (this.#settledAhead.size > MAX_SETTLED_AHEAD) {
        this.#unbatched = true;
        this.#settledAhead.clear();
      }
      return;
    }
    let next = tag + 1;
    while (this.#settledAhead.delete(next)) next++;
    this.#frontier = next;
  }
}

/** Above the largest prefetch (65,535): the frontier is stuck, not waiting for a slow handler. */
const MAX_SETTLED_AHEAD = 65_536;
