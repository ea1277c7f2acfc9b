import type { EventEmitter } from 'eventemitter3';
import { deadLetterHeaders, repeatHeaders } from '../dead-letters/dead-letter-headers.js';
import { headersToCopy } from '../delivery-headers.js';
import { repeatCounterId, type MessageIdentity } from '../envelope.js';
import { waitQueueName, type DeadLetterNames, type DeadLetterReason } from '../names.js';
import type { RepeatCounterGuard } from './repeat-counter-guard.js';
import { publishUntilConfirmed, type CopyResult } from './copy-retry.js';
import { copyProperties, receivedHeaderBytes, refusedCopyError } from './copy-message.js';
import { SettleDecisions, type DecidedCopy, type SettleDecision } from './settle-decisions.js';
import type { ConsumerEvents } from './consumer-events.js';
import type { Delivery, Transport } from '../transport.js';
import { publishCopy } from '../telemetry/copy-spans.js';

/** What the copy-then-ack flow needs of its consumer. */
export interface CopyThenAckContext {
  readonly transport: Transport;
  readonly queue: string;
  readonly appId: string;
  readonly deadLetter: DeadLetterNames;
  readonly counter: RepeatCounterGuard;
  readonly events: Pick<EventEmitter<ConsumerEvents>, 'emit'>;
  /** Aborted by close(): copies being retried give their message back to the queue. */
  readonly stopping: () => AbortSignal;
}

/**
 * Settles a consumer's deliveries: acks, and repeats and dead letters as copy-then-ack. Nothing is
 * acked before its copy is confirmed; an outcome that cannot be completed on the delivery's channel is
 * remembered (`SettleDecisions`) and completed when the broker delivers the message again.
 */
export class CopyThenAck {
  /** Message ids being handled or settled right now, each with the promise of that work. */
  readonly #settling = new Map<string, Promise<void>>();
  /** Outcomes decided but not completed on the delivery's channel, for when the message comes back. */
  readonly #remembered = new SettleDecisions();

  constructor(private readonly context: CopyThenAckContext) {}

  /** The copy-then-ack of this message id in progress, resolving once its ack is written; else `undefined`. */
  settling(messageId: string): Promise<void> | undefined {
    return this.#settling.get(messageId);
  }

  /** The outcome remembered for a redelivery of this message, removed from the memory; else `undefined`. */
  takeRemembered(identity: MessageIdentity): SettleDecision | undefined {
    return this.#remembered.take(identity);
  }

  /** Acks a handled delivery, forgets its count and emits `settled`. */
  async ack(delivery: Delivery, identity: MessageIdentity, attempt: number): Promise<void> {
    // The ack is not sent when the channel that delivered the message died meanwhile: the broker
    // redelivers it, so it is neither reported as acked nor forgotten by the counter.
    if (!delivery.ack()) return;
    const { queue, counter, events } = this.context;
    const forgetting = counter.forget(repeatCounterId(identity));
    if (forgetting !== undefined) await forgetting;
    events.emit('settled', { outcome: 'acked', queue, messageId: identity.messageId, attempt });
  }

  /** Sends a copy to this queue only (through its wait queue when delayed), then acks the original. */
  async repeat(
    delivery: Delivery,
    identity: MessageIdentity,
    attempt: number,
    error: unknown,
    delayMs: number,
  ): Promise<void> {
    const { queue, events } = this.context;
    const headers = repeatHeaders(headersToCopy(delivery), {
      attempt,
      exchange: identity.exchange,
      routingKey: identity.routingKey,
      error,
      now: new Date(),
    });
    const routingKey = delayMs > 0 ? waitQueueName(queue, delayMs) : queue;
    await this.#copyThenAck(delivery, identity, { exchange: '', routingKey, headers, attempt }, () =>
      events.emit('settled', {
        outcome: 'repeated',
        queue,
        messageId: identity.messageId,
        attempt,
        delayMs,
        error,
      }),
    );
  }

  /** Publishes a copy with the reason to the common dead-letter exchange, then acks the original. */
  async deadLetter(
    delivery: Delivery,
    identity: MessageIdentity,
    attempt: number,
    reason: DeadLetterReason,
    error: unknown,
    droppedHeaderBytes?: number,
  ): Promise<void> {
    const { queue, appId, deadLetter, counter, events } = this.context;
    const original = droppedHeaderBytes === undefined ? headersToCopy(delivery) : {};
    const headers = deadLetterHeaders(original, {
      reason,
      error,
      attempts: attempt,
      queue,
      exchange: identity.exchange,
      routingKey: identity.routingKey,
      consumerApp: appId,
      now: new Date(),
      droppedHeaderBytes,
    });
    const copy = {
      exchange: deadLetter.exchange,
      routingKey: identity.routingKey,
      headers,
      attempt,
      lastResort: droppedHeaderBytes !== undefined,
    };
    await this.#copyThenAck(delivery, identity, copy, async () => {
      await counter.forget(repeatCounterId(identity));
      events.emit('settled', {
        outcome: 'dead-lettered',
        queue,
        messageId: identity.messageId,
        attempt,
        reason,
        error,
      });
    });
  }

  /** A redelivered message whose outcome was decided before: its copy is published (once), then it is acked. */
  async completeRemembered(
    delivery: Delivery,
    identity: MessageIdentity,
    decided: SettleDecision,
  ): Promise<void> {
    if (!decided.copied) return this.#copyThenAck(delivery, identity, decided.copy, decided.after);
    // The copy went out; only the ack was lost. Nothing to publish, and `settled` was emitted then.
    if (!delivery.ack()) this.#remembered.remember(identity, decided);
  }

  /**
   * Publishes a copy of the delivery and, once confirmed, acks the original (`ack`), then runs `after`.
   * Meanwhile the id is marked as settling, so the copy, if it comes straight back, waits until the ack
   * has been written out. A decision that cannot be completed here is remembered for the redelivery.
   */
  async #copyThenAck(
    delivery: Delivery,
    identity: MessageIdentity,
    copy: DecidedCopy,
    after: () => unknown,
  ): Promise<void> {
    let done = (): void => {};
    const settled = new Promise<void>((resolve) => (done = resolve));
    this.#settling.set(identity.messageId, settled);
    let result: CopyResult;
    try {
      result = await this.#publishCopy(delivery, identity, copy);
      if (result === 'stopped') {
        this.#remembered.remember(identity, { copy, copied: false, after });
        return;
      }
      if (result === 'published') {
        if (!this.#ackAfterCopy(delivery, identity))
          this.#remembered.remember(identity, { copy, copied: true, after });
        // The ack reaches the socket two turns later (the consumer's ack batch at the next tick, amqplib's
        // 'readable' event, then its multiplexer's setImmediate): wait until it has been handed to the
        // socket before the copy may run.
        await new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
      }
    } finally {
      if (this.#settling.get(identity.messageId) === settled) this.#settling.delete(identity.messageId);
      done();
    }
    if (result !== 'published') return this.#copyRefused(delivery, identity, copy, result.refused, after);
    await after();
  }

  /**
   * The transport refused the copy for good (`InvalidArgumentError`: its properties or headers cannot be
   * sent): the message is dead-lettered as `invalid-content` without its headers; when that copy is
   * refused too, it is rejected to its queue's dead-letter exchange. Never retried: it cannot get better.
   */
  async #copyRefused(
    delivery: Delivery,
    identity: MessageIdentity,
    copy: DecidedCopy,
    error: Error,
    after: () => unknown,
  ): Promise<void> {
    if (copy.lastResort !== true) {
      const invalid = refusedCopyError(copy, error);
      const dropped = receivedHeaderBytes(delivery);
      return this.deadLetter(delivery, identity, copy.attempt, 'invalid-content', invalid, dropped);
    }
    if (delivery.nack({ requeue: false })) await after();
    else this.#remembered.remember(identity, { copy, copied: false, after });
  }

  /**
   * Publishes the copy, again and again with backoff while it fails (the original stays unacked, the
   * handler does not run again). Only when the consumer closes meanwhile does the original go back to
   * the queue, its decision remembered: `stopped` then. A copy the transport refuses as such: `refused`.
   */
  async #publishCopy(delivery: Delivery, identity: MessageIdentity, copy: DecidedCopy): Promise<CopyResult> {
    const { transport, queue, events } = this.context;
    const { exchange, routingKey, headers } = copy;
    const message = {
      exchange,
      routingKey,
      content: delivery.content,
      properties: copyProperties(delivery.properties, identity.messageId, headers),
    };
    const copied = await publishUntilConfirmed(
      () => publishCopy(transport, message, 'settle'),
      this.context.stopping(),
      (error, attempt, retryInMs) =>
        events.emit(
          'error',
          new Error(
            `Could not publish the ${exchange === '' ? 'repeat' : 'dead letter'} of message ` +
              `${identity.messageId} of ${queue} (attempt ${attempt}); retrying in ${retryInMs} ms, ` +
              `without running the handler again`,
            { cause: error },
          ),
        ),
    );
    if (copied === 'stopped') delivery.nack({ requeue: true });
    return copied;
  }

  /** Acks the original of a published copy; says so when the channel died and the broker will redeliver it. */
  #ackAfterCopy(delivery: Delivery, identity: MessageIdentity): boolean {
    if (delivery.ack()) return true;
    this.context.events.emit('warning', {
      code: 'settle-lost',
      message:
        `Message ${identity.messageId} of ${this.context.queue} was copied, but its channel closed before the ack: ` +
        `the broker redelivers it, and this consumer then acks it without running the handler again`,
      error: undefined,
    });
    return false;
  }
}
