import type { Channel, ConsumeMessage, Message } from 'amqplib';
import type { TransportConsumer, Delivery, DeliveryHandler } from '../../messaging/transport.js';
import { Signal } from '../../internal/signal.js';
import { AckBatch } from './ack-batch.js';
import { amqpDelivery, type DeliveryOwner } from './amqp-delivery.js';
import { uninstrumented } from './uninstrumented.js';

/**
 * One consumer on a channel of its own (so its prefetch is its own, and a channel error elsewhere does
 * not stop it). After a reconnect the transport calls `attach()` with a new channel; deliveries of the
 * old channel can no longer be settled: an ack is never sent on a channel that did not deliver it.
 */
export class AmqpConsumer implements TransportConsumer {
  /** Handlers running now; `#idle` is notified when it drops to 0. */
  #running = 0;
  readonly #idle = new Signal();
  #channel: Channel | undefined;
  /** The acks of the live channel, sent together each turn of the event loop. */
  #acks: AckBatch | undefined;
  #consumerTag: string | undefined;
  #cancelled = false;
  /** Settles once the broker confirmed the cancel (cancel-ok) or the channel is gone. */
  #cancelOk: Promise<void> | undefined;
  /** After cancel-ok the broker delivers nothing more on this consumer. */
  #cancelConfirmed = false;
  /** Deliveries not yet acked or nacked on the current channel. */
  #unsettled = 0;

  constructor(
    readonly queue: string,
    readonly prefetch: number,
    private readonly handler: DeliveryHandler,
    private readonly onError: (error: Error) => void,
    private readonly onCancel: (consumer: AmqpConsumer) => void,
  ) {}

  get cancelled(): boolean {
    return this.#cancelled;
  }

  /** Starts consuming on `channel` (a fresh one after every reconnect). */
  async attach(channel: Channel): Promise<void> {
    this.#channel = channel;
    this.#acks = new AckBatch(channel, () => this.#channel === channel);
    await channel.prefetch(this.prefetch);
    // Not through an instrumentation's wrapper: tidings traces each delivery itself (uninstrumented.ts).
    const consume = uninstrumented(channel, 'consume');
    const reply = await consume.call(channel, this.queue, (message) => this.#onMessage(channel, message), {
      noAck: false,
    });
    this.#consumerTag = reply.consumerTag;
  }

  /** The channel is gone (connection lost): in-flight deliveries can no longer be settled. */
  detach(): void {
    this.#channel = undefined;
    this.#acks = undefined;
    this.#consumerTag = undefined;
    this.#unsettled = 0;
  }

  /** How its deliveries settle: kept off the consumer's public face (a `TransportConsumer`). */
  readonly #owner: DeliveryOwner = {
    settle: (channel, message, nack) => this.#settle(channel, message, nack),
  };

  #settle(channel: Channel, message: Message, nack?: { requeue: boolean }): boolean {
    const acks = this.#acks;
    // A delivery of an earlier channel neither counts against this one's unsettled deliveries (which
    // could close it under running handlers) nor may be settled on it.
    if (this.#channel !== channel || acks === undefined) return false;
    this.#settled();
    try {
      if (nack === undefined) acks.ack(message);
      else acks.nack(message, nack.requeue);
      return true;
    } catch {
      return false; // the channel closed under us: the broker redelivers the message
    }
  }

  /** One delivery settled; a cancelled consumer's channel closes after its last one. */
  #settled(): void {
    this.#unsettled = Math.max(0, this.#unsettled - 1);
    // Not before cancel-ok: until then the broker may still deliver what it dispatched before it saw the
    // cancel, and closing the channel would requeue those, redelivered — after their handler may have run.
    if (this.#cancelConfirmed && this.#unsettled === 0 && this.#channel !== undefined) {
      // After the ack or nack has been sent: closing waits for the broker to process it.
      setImmediate(() => void this.closeChannel());
    }
  }

  async cancel(): Promise<void> {
    if (this.#cancelOk === undefined) {
      this.#cancelled = true;
      this.onCancel(this);
      this.#cancelOk = this.#sendCancel();
    }
    // Deliveries keep arriving until cancel-ok; each starts a handler that idle() then waits for.
    await this.#cancelOk;
    await this.idle();
    // The channel goes too, or every subscribe/close cycle would leak one — but only once nothing it
    // delivered is left to settle: like an AMQP channel after basic.cancel, deliveries a handler left
    // unsettled can still be acked (see #settled). Closing the transport requeues what never is.
    if (this.#unsettled === 0) await this.closeChannel();
  }

  async #sendCancel(): Promise<void> {
    const channel = this.#channel;
    const tag = this.#consumerTag;
    if (channel !== undefined && tag !== undefined) {
      try {
        await channel.cancel(tag);
      } catch {
        // The channel closed meanwhile: the broker has cancelled the consumer already.
      }
    }
    this.#cancelConfirmed = true;
  }

  /** Resolves when no handler of this consumer is running. */
  async idle(): Promise<void> {
    while (this.#running > 0) await this.#idle.wait();
  }

  /** Closes the consumer's channel; unsettled deliveries return to the queue. */
  async closeChannel(): Promise<void> {
    const channel = this.#channel;
    this.#acks?.flush(); // what was acked goes out before the channel closes
    this.detach();
    if (channel !== undefined) {
      try {
        await channel.close();
      } catch {
        // Already closed.
      }
    }
  }

  #onMessage(channel: Channel, message: ConsumeMessage | null): void {
    if (message === null) {
      // The broker cancelled the consumer (its queue was deleted, say).
      if (!this.#cancelled)
        this.onError(new Error(`The broker cancelled the consumer of queue "${this.queue}"`));
      return;
    }
    this.#unsettled++;
    this.#running++;
    if (this.#channel === channel) this.#acks?.delivered(message);
    void this.#run(amqpDelivery(this.queue, channel, message, this.#owner));
  }

  async #run(delivery: Delivery): Promise<void> {
    try {
      await this.handler(delivery);
    } catch (error) {
      // The handler failed without settling: dead-letter the message rather than leave it unacked.
      delivery.nack({ requeue: false });
      this.onError(error instanceof Error ? error : new Error(String(error)));
    } finally {
      if (--this.#running === 0) this.#idle.notify();
    }
  }
}
