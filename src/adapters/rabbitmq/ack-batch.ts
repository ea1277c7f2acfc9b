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
  /** Delivered and not yet settled: at most the prefetch. */
  readonly #unsettled = new Set<number>();
  /** The lowest unsettled tag, or the next one to come when none is: every delivered tag below is settled. */
  #frontier: number | undefined;
  #highest: number | undefined;
  /**
   * Set when a tag did not follow the previous one (something else received on the channel): a tag
   * below the frontier might then not be ours to ack, so every ack goes out on its own.
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
    const tag = message.fields.deliveryTag;
    if (this.#highest !== undefined && tag !== this.#highest + 1) this.#unbatched = true;
    this.#highest = tag;
    this.#unsettled.add(tag);
    this.#frontier ??= tag;
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
    this.#unsettled.delete(tag);
    if (tag !== this.#frontier) return;
    // Past every settled tag, up to the next unsettled one (amortized: each tag is passed once).
    const highest = this.#highest ?? tag;
    let next = tag + 1;
    while (next <= highest && !this.#unsettled.has(next)) next++;
    this.#frontier = next;
  }
}
