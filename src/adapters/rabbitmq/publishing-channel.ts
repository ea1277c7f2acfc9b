import type { ConfirmChannel } from 'amqplib';
import { ConnectionBlockedError } from '../../errors/connection-blocked-error.js';
import { ConnectionLostError } from '../../errors/connection-lost-error.js';
import { UnroutableError } from '../../errors/unroutable-error.js';
import { integerOption } from '../../internal/options.js';
import { beforeDeadline, sleep } from '../../internal/signal.js';
import { uuidv7 } from '../../internal/uuid-v7.js';
import { WaitQueue } from '../../internal/wait-queue.js';
import type { OutgoingMessage, PublishOptions } from '../../messaging/transport.js';
import { outgoingHeaders } from './amqp-headers.js';
import type { AmqpConnection } from './amqp-connection.js';
import { blockedError, nameTheBlock } from './blocked-publish.js';
import { ConfirmPublisher } from './confirm-publisher.js';
import { retryAfterNack, retryNacked, StaleChannelPacer } from './nack-failover.js';
import { assertOutgoing } from './outgoing-message.js';
import { amqpErrorCode } from './topology.js';

/**
 * The publishing side of a transport: one confirm channel, opened again when it closes, and the flow
 * control in front of it. A publish waits (up to its timeout) for a connection, a slot in the window of
 * unconfirmed messages, the broker to unblock, the socket to drain, and a check of an exchange not seen.
 */
export class PublishingChannel {
  readonly #link: AmqpConnection;
  readonly #publishTimeoutMs: number;
  readonly #maxUnconfirmed: number;
  #publisher: ConfirmPublisher | undefined;
  #publisherOpening: Promise<ConfirmPublisher> | undefined;
  readonly #stalePacer = new StaleChannelPacer();
  /** Publishes waiting for a slot in the window of unconfirmed messages, in publish order. */
  readonly #slots = new WaitQueue();
  readonly #knownExchanges = new Set<string>(['']);
  /**
   * The check of an exchange in progress, shared by every publish to it meanwhile: a burst of publishes
   * to an exchange not yet known (a relay's first batches) opened one channel each, and ran out of
   * channels past 2,047.
   */
  readonly #exchangeChecks = new Map<string, Promise<void>>();

  constructor(link: AmqpConnection, publishTimeoutMs: number, maxUnconfirmed: number) {
    this.#link = link;
    this.#publishTimeoutMs = publishTimeoutMs;
    this.#maxUnconfirmed = maxUnconfirmed;
  }

  /** The confirm channel's publisher, if one is open (or closing). */
  get current(): ConfirmPublisher | undefined {
    return this.#publisher;
  }

  /** An exchange declared or checked: publishes to it go without a check. */
  exchangeExists(exchange: string): void {
    this.#knownExchanges.add(exchange);
  }

  exchangeDeleted(exchange: string): void {
    this.#knownExchanges.delete(exchange);
  }

  /** The broker unblocked: every publish waiting for a slot looks again. */
  wakeAll(): void {
    while (this.#slots.wakeOne());
  }

  /** Fails every publish waiting for a slot (the transport is closing). */
  rejectWaiting(error: Error): void {
    this.#slots.rejectAll(error);
  }

  /** The connection is gone, and the publishing channel with it. */
  lost(error: Error): void {
    this.#publisher?.channelClosed(error);
    this.#publisher = undefined;
  }

  publish(message: OutgoingMessage, options: PublishOptions = {}): Promise<void> {
    try {
      this.#link.assertOpenForWork('publish');
      assertOutgoing(message);
      // A Date as an AMQP timestamp (amqplib would write an empty table); too deep nesting refused.
      const headers = message.properties.headers;
      const sent = headers === undefined ? undefined : outgoingHeaders(headers);
      if (sent !== headers) message = { ...message, properties: { ...message.properties, headers: sent } };
    } catch (error) {
      return Promise.reject(error);
    }
    const timeoutMs =
      options.timeoutMs === undefined
        ? this.#publishTimeoutMs
        : integerOption(options.timeoutMs, this.#publishTimeoutMs, 'publish: timeoutMs', 1);
    const messageId = message.properties.messageId ?? uuidv7();
    // A nacked message is published again on a fresh channel until its deadline (nack-failover.ts).
    const deadline = Date.now() + timeoutMs;
    // Fast path: connected, room in the window, nothing to wait for — no timers beyond the confirm's own.
    const publisher = this.#publisher;
    if (
      this.#link.state === 'open' &&
      publisher !== undefined &&
      !publisher.closed &&
      !publisher.stale &&
      !this.#link.blocked &&
      publisher.inFlight < this.#maxUnconfirmed &&
      this.#slots.size === 0 &&
      publisher.waitForDrain() === undefined &&
      this.#knownExchanges.has(message.exchange)
    ) {
      // One handler for both failure paths (a timeout while blocked, a nack): the success path of every
      // publish allocates nothing more than the publish itself.
      return publisher
        .publish(message, messageId, timeoutMs)
        .catch((error: unknown) =>
          retryAfterNack(
            blockedError(error, this.#link.blockedBy),
            deadline,
            (remainingMs) => this.#publishWhenReady(message, messageId, remainingMs, timeoutMs),
            this.#link.stopping,
          ),
        );
    }
    const again = (remainingMs: number) => this.#publishWhenReady(message, messageId, remainingMs, timeoutMs);
    return retryNacked(again(timeoutMs), deadline, again, this.#link.stopping);
  }

  /** Waits (up to the publish timeout) for a connection, a window slot, the broker to unblock, a drain. */
  async #publishWhenReady(
    message: OutgoingMessage,
    messageId: string,
    timeoutMs: number,
    wholeTimeoutMs: number,
  ): Promise<void> {
    const link = this.#link;
    const deadline = Date.now() + timeoutMs;
    const late = () =>
      link.blocked
        ? new ConnectionBlockedError(link.blockedReason, messageId, wholeTimeoutMs, false)
        : new ConnectionLostError(
            `Could not publish message ${messageId} within ${wholeTimeoutMs} ms: no open connection or no free slot ` +
              `in the window of ${this.#maxUnconfirmed} unconfirmed messages`,
          );
    // A caller woken for a free slot that leaves without publishing passes the wake-up on, or the next
    // caller in line would sleep beside an empty window.
    let woken = false;
    try {
      for (;;) {
        link.assertOpenForWork('publish');
        await beforeDeadline(link.connect(), deadline, late);
        // A connection lost while its channel was opening: nothing was sent, so wait for the next one.
        const publisher = await beforeDeadline(this.#ensurePublisher(), deadline, late).catch((error) => {
          if (link.state === 'connecting' && Date.now() < deadline) return undefined;
          throw error;
        });
        if (publisher === undefined) continue;
        if (link.blocked) {
          await beforeDeadline(link.changed.wait(), deadline, late);
          continue;
        }
        if (publisher.inFlight >= this.#maxUnconfirmed) {
          await this.#slots.wait(deadline, late);
          woken = true;
          continue;
        }
        const drain = publisher.waitForDrain();
        if (drain !== undefined) {
          await beforeDeadline(drain, deadline, late);
          continue;
        }
        if (!this.#knownExchanges.has(message.exchange)) {
          await beforeDeadline(
            this.#checkExchange(message.exchange, message.routingKey, messageId),
            deadline,
            late,
          );
          continue;
        }
        woken = false;
        const remainingMs = Math.max(1, deadline - Date.now());
        const publishing = publisher.publish(message, messageId, remainingMs, wholeTimeoutMs);
        return await nameTheBlock(publishing, link.blockedBy);
      }
    } catch (error) {
      if (woken) this.#slots.wakeOne();
      throw error;
    }
  }

  #ensurePublisher(): Promise<ConfirmPublisher> {
    const current = this.#publisher;
    if (current !== undefined && !current.closed && !current.stale) return Promise.resolve(current);
    this.#publisherOpening ??= (async () => {
      // Fresh channels that keep going stale (a quorum leader not elected yet) are paced.
      const pause = this.#stalePacer.delayMs();
      if (pause > 0) await sleep(pause, this.#link.stopping);
      const connection = await this.#link.open();
      const channel: ConfirmChannel = await connection.createConfirmChannel();
      const publisher = new ConfirmPublisher(
        channel,
        () => this.#onPublishSettled(),
        () => this.#stalePacer.stale(),
        () => this.#link.blocked,
      );
      let channelError: Error | undefined;
      channel.on('error', (error: Error) => {
        channelError = error;
        // Someone deleted an exchange we publish to: forget it, so the next publish checks it first
        // instead of closing this channel again under the other publishes in flight.
        const missing = /NOT_FOUND - no exchange '([^']*)'/.exec(error.message)?.[1];
        if (missing !== undefined) this.#knownExchanges.delete(missing);
      });
      channel.on('close', () => {
        // A channel error (publishing to a deleted exchange, say) closes only this channel; the next
        // publish opens a new one.
        publisher.channelClosed(
          new ConnectionLostError(
            `The publishing channel closed before the broker confirmed the message` +
              (channelError ? `: ${this.#link.redact(channelError.message)}` : ''),
          ),
        );
        if (this.#publisher === publisher) this.#publisher = undefined;
        this.#link.changed.notify();
      });
      this.#publisher = publisher;
      return publisher;
    })().finally(() => {
      this.#publisherOpening = undefined;
    });
    return this.#publisherOpening;
  }

  #onPublishSettled(): void {
    if (!this.#link.blocked) this.#slots.wakeOne();
    this.#link.changed.notify();
  }

  async #checkExchange(exchange: string, routingKey: string, messageId: string): Promise<void> {
    let check = this.#exchangeChecks.get(exchange);
    if (check === undefined) {
      check = this.#link
        .withChannel((channel) => channel.checkExchange(exchange))
        .then(() => void this.#knownExchanges.add(exchange))
        .finally(() => this.#exchangeChecks.delete(exchange));
      this.#exchangeChecks.set(exchange, check);
    }
    try {
      await check;
    } catch (error) {
      if (amqpErrorCode(error) === 404) {
        throw new UnroutableError(exchange, routingKey, messageId, `NOT_FOUND - no exchange "${exchange}"`);
      }
      throw this.#link.sanitize(error, `Cannot check exchange "${exchange}"`);
    }
  }
}
