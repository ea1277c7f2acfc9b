import { EventEmitter } from 'eventemitter3';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { InvalidContentError } from '../errors/invalid-content-error.js';
import { NonRetryableError } from '../errors/non-retryable-error.js';
import { assertKnownOptions, describeValue, integerOption } from '../internal/options.js';
import { beforeDeadline } from '../internal/signal.js';
import { deadLetterHeaders, repeatHeaders } from './dead-letter/dead-letter-headers.js';
import { decodeBody, identify, repeatCounterId, type MessageIdentity } from './envelope.js';
import { headerRefusal, headersToCopy } from './delivery-headers.js';
import { MAX_HEADER_TABLE_BYTES } from './header-table-size.js';
import {
  resolveDeadLetterNames,
  waitQueueName,
  type DeadLetterNames,
  type DeadLetterReason,
} from './names.js';
import { MemoryRepeatCounter } from './repeat/memory-repeat-counter.js';
import type { RepeatCounter } from './repeat/repeat-counter.js';
import { assertRoutingKey } from './routing.js';
import { subscriberTopology } from './subscriber-topology.js';
import { publishUntilConfirmed, type CopyResult } from './copy-retry.js';
import { copyProperties, receivedHeaderBytes, refusedCopyError } from './copy-message.js';
import { SettleDecisions, type DecidedCopy, type SettleDecision } from './settle-decisions.js';
import type { Consumer, Delivery, MessageProperties, Transport } from './transport.js';

export interface SubscriberOptions {
  /** The queue to consume; declared durable, with the common dead-letter exchange. */
  queue: string;
  /** Binding keys (`order.created`, `order.*`, `order.#`); each binds the queue to its first part's exchange. */
  routes: readonly string[];
  /** Unsettled messages at most, from 1 to 65535. @defaultValue 10 */
  prefetch?: number;
  /** Names the dead-letter exchange and queue, and who gave up on a message. @defaultValue process.env.TIDINGS_APP_ID ?? 'tidings' */
  appId?: string;
  /** Deliveries to the handler at most; then the message is dead-lettered (`repeats-exhausted`). @defaultValue 5 */
  maxAttempts?: number;
  /**
   * Delay before repeat N (the last one applies to later repeats). 0 repeats at once. Each distinct
   * delay gets a wait queue whose TTL dead-letters the copy back to this queue.
   * @defaultValue [1000, 10000, 60000]
   */
  repeatDelaysMs?: readonly number[];
  /** Counts deliveries outside the message, so crashes count too. @defaultValue new MemoryRepeatCounter() */
  repeatCounter?: RepeatCounter;
  /** A counter slower than this counts as unavailable (header count, warning). @defaultValue 500 */
  repeatCounterTimeoutMs?: number;
  /** @defaultValue `defaultDeadLetterNames(appId)`: `<appId>.dead-letter` and `<appId>.dead-letters` */
  deadLetter?: Partial<DeadLetterNames>;
  /** @defaultValue 'classic' */
  queueType?: 'classic' | 'quorum';
  /** Queue TTL (`x-message-ttl`): unconsumed messages expire into the dead-letter queue. */
  messageTtlMs?: number;
  /** Larger bodies are dead-lettered as `invalid-content`. @defaultValue 4194304 (4 MiB) */
  maxContentBytes?: number;
  /**
   * Messages whose header table encodes to more bytes are dead-lettered as `invalid-content`, without
   * their headers. At most 49152: tidings keeps 16 KiB of the 64 KiB an AMQP header table may hold for
   * the headers it adds to repeats and dead letters, so that their copies can always be sent.
   * @defaultValue 32768 (32 KiB)
   */
  maxHeaderBytes?: number;
}

/** What a handler receives. */
export interface ConsumedMessage<P = unknown> {
  readonly payload: P;
  readonly messageId: string;
  readonly headers: Readonly<Record<string, unknown>>;
  readonly properties: Readonly<MessageProperties>;
  /** The routing key it was published with (also for repeats, which come back through a wait queue). */
  readonly routingKey: string;
  readonly exchange: string;
  readonly queue: string;
  /** 1 on the first delivery to a handler, 2 on the first repeat, … */
  readonly attempt: number;
  readonly redelivered: boolean;
}

export type MessageHandler<P = unknown> = (message: ConsumedMessage<P>) => unknown;

/** Where a message ended up: the subscriber emits one `settled` event per delivery. */
export type SettledOutcome =
  | { outcome: 'acked'; queue: string; messageId: string; attempt: number }
  | {
      outcome: 'repeated';
      queue: string;
      messageId: string;
      attempt: number;
      delayMs: number;
      error: unknown;
    }
  | {
      outcome: 'dead-lettered';
      queue: string;
      messageId: string;
      attempt: number;
      reason: DeadLetterReason;
      error: unknown;
    };

export interface SubscriberEvents {
  settled: [outcome: SettledOutcome];
  /**
   * `repeat-counter-unavailable`: the counter failed or was slow, attempts are counted in the header
   * alone meanwhile; once per outage, not per message. `repeat-counter-restored`: it answers again (the
   * message says after how many failed calls and how long). `settle-lost`: a copy was published but the
   * original's channel closed before its ack, so it comes back once more (at-least-once).
   */
  warning: [
    warning: {
      code: 'repeat-counter-unavailable' | 'repeat-counter-restored' | 'settle-lost';
      message: string;
      error: unknown;
    },
  ];
  /**
   * The copy of a decided outcome (repeat, dead letter) could not be published: it is tried again with
   * backoff, the original staying unacked, without running the handler again. (When the subscriber
   * closes meanwhile, the original goes back to the queue and its copy is published when it returns.)
   */
  error: [error: Error];
}

/** Room in a header table for what repeats and dead letters add (see dead-letter-headers.ts). */
const HEADER_ROOM_BYTES = 16_384;

/** A delivery the subscriber refuses without running the handler: it could never succeed. */
interface Refusal {
  error: InvalidContentError;
  /** The encoded size of headers too large to copy along; the dead letter goes without them. */
  droppedHeaderBytes?: number | undefined;
}

const OPTION_KEYS = [
  'queue',
  'routes',
  'prefetch',
  'appId',
  'maxAttempts',
  'repeatDelaysMs',
  'repeatCounter',
  'repeatCounterTimeoutMs',
  'deadLetter',
  'queueType',
  'messageTtlMs',
  'maxContentBytes',
  'maxHeaderBytes',
];

/**
 * The low-level consuming API, close to the seed library's: declares the queue, its bindings, its wait
 * queues and the common dead-letter queue, then hands each message to the handler. A handler that
 * returns acks the message; one that throws gets it repeated (to this queue only, after a delay) until
 * `maxAttempts`, then dead-lettered with the reason. Nothing is acked before its copy is confirmed.
 *
 * @example
 * const subscriber = new Subscriber(transport, { queue: 'billing.orders', routes: ['order.created'] });
 * subscriber.on('settled', (s) => log(s.outcome, s.messageId));
 * await subscriber.subscribe(async ({ payload, attempt }) => bill(payload));
 */
export class Subscriber<P = unknown> extends EventEmitter<SubscriberEvents> {
  readonly queue: string;
  readonly routes: readonly string[];
  readonly appId: string;
  readonly deadLetter: DeadLetterNames;
  readonly #transport: Transport;
  readonly #prefetch: number;
  readonly #maxAttempts: number;
  readonly #delays: readonly number[];
  readonly #counter: RepeatCounter;
  readonly #counterTimeoutMs: number;
  readonly #queueType: 'classic' | 'quorum' | undefined;
  readonly #messageTtlMs: number | undefined;
  readonly #maxContentBytes: number;
  readonly #maxHeaderBytes: number;
  #consumer: Consumer | undefined;
  /** Message ids being handled or settled right now, each with the promise of that work. */
  readonly #settling = new Map<string, Promise<void>>();
  /** Outcomes decided but not completed on the delivery's channel, for when the message comes back. */
  readonly #decisions = new SettleDecisions();
  /** Aborted by close(): copies being retried give their message back to the queue. */
  #stopping = new AbortController();
  /** Set while the repeat counter fails: when it started, and the failed calls since. */
  #counterOutage: { since: number; failures: number } | undefined;

  constructor(transport: Transport, options: SubscriberOptions) {
    super();
    if (typeof transport?.consume !== 'function') {
      throw new InvalidArgumentError(`Subscriber: expected a Transport, got ${describeValue(transport)}`);
    }
    assertKnownOptions(options, OPTION_KEYS, 'Subscriber');
    if (typeof options.queue !== 'string' || options.queue === '') {
      throw new InvalidArgumentError(
        `Subscriber: queue must be a non-empty string, got ${describeValue(options.queue)}`,
      );
    }
    if (!Array.isArray(options.routes) || options.routes.length === 0) {
      throw new InvalidArgumentError(
        `Subscriber: routes must list at least one routing key for ${options.queue}`,
      );
    }
    this.#transport = transport;
    this.queue = options.queue;
    this.routes = options.routes.map((route) => assertRoutingKey(route));
    this.appId = options.appId ?? process.env['TIDINGS_APP_ID'] ?? 'tidings';
    this.deadLetter = resolveDeadLetterNames(this.appId, options.deadLetter, 'Subscriber');
    // basic.qos carries the prefetch count in 16 bits.
    this.#prefetch = integerOption(options.prefetch, 10, 'Subscriber: prefetch', 1, 65_535);
    this.#maxAttempts = integerOption(options.maxAttempts, 5, 'Subscriber: maxAttempts', 1);
    const delays = options.repeatDelaysMs ?? [1000, 10_000, 60_000];
    if (!Array.isArray(delays)) {
      throw new InvalidArgumentError(
        `Subscriber: repeatDelaysMs must be a list of integers, got ${describeValue(delays)}`,
      );
    }
    this.#delays = delays.map((delay, index) =>
      integerOption(delay, 0, `Subscriber: repeatDelaysMs[${index}]`, 0),
    );
    const counter = options.repeatCounter;
    if (counter !== undefined && !isRepeatCounter(counter)) {
      // Checked now: a counter without increment() would fail on every delivery and only show up as
      // "counter unavailable" warnings.
      throw new InvalidArgumentError(
        `Subscriber: repeatCounter must have increment(), forget() and close(), got ${describeValue(counter)}`,
      );
    }
    this.#counter = counter ?? new MemoryRepeatCounter();
    this.#counterTimeoutMs = integerOption(
      options.repeatCounterTimeoutMs,
      500,
      'Subscriber: repeatCounterTimeoutMs',
      1,
    );
    if (
      options.queueType !== undefined &&
      options.queueType !== 'classic' &&
      options.queueType !== 'quorum'
    ) {
      throw new InvalidArgumentError(
        `Subscriber: queueType must be "classic" or "quorum", got ${describeValue(options.queueType)}`,
      );
    }
    this.#queueType = options.queueType;
    this.#messageTtlMs =
      options.messageTtlMs === undefined
        ? undefined
        : integerOption(options.messageTtlMs, 0, 'Subscriber: messageTtlMs', 0);
    this.#maxContentBytes = integerOption(
      options.maxContentBytes,
      4 * 1024 * 1024,
      'Subscriber: maxContentBytes',
      1,
    );
    this.#maxHeaderBytes = integerOption(
      options.maxHeaderBytes,
      32_768,
      'Subscriber: maxHeaderBytes',
      1,
      MAX_HEADER_TABLE_BYTES - HEADER_ROOM_BYTES,
    );
  }

  /** Declares the topology and starts consuming. */
  async subscribe(handler: MessageHandler<P>): Promise<void> {
    if (typeof handler !== 'function') {
      throw new InvalidArgumentError(`subscribe: handler must be a function, got ${describeValue(handler)}`);
    }
    if (this.#consumer !== undefined)
      throw new InvalidArgumentError(`subscribe: ${this.queue} is already subscribed`);
    if (this.#stopping.signal.aborted) this.#stopping = new AbortController();
    await this.#transport.declare(
      subscriberTopology({
        queue: this.queue,
        routes: this.routes,
        deadLetter: this.deadLetter,
        repeatDelaysMs: this.#delays,
        queueType: this.#queueType,
        messageTtlMs: this.#messageTtlMs,
      }),
    );
    this.#consumer = await this.#transport.consume(
      this.queue,
      (delivery) => this.#handle(delivery, handler),
      {
        prefetch: this.#prefetch,
      },
    );
  }

  /** Stops consuming; resolves once running handlers have finished and settled their messages. */
  async close(): Promise<void> {
    const consumer = this.#consumer;
    this.#consumer = undefined;
    this.#stopping.abort();
    await consumer?.cancel();
  }

  async #handle(delivery: Delivery, handler: MessageHandler<P>): Promise<void> {
    let payload: unknown;
    // Headers nested too deeply or too large to copy along: dead-lettered without them.
    let invalid: Refusal | undefined = headerRefusal(delivery, this.#maxHeaderBytes);
    if (invalid === undefined) {
      try {
        payload = decodeBody(delivery, { maxContentBytes: this.#maxContentBytes });
      } catch (error) {
        invalid = { error: error as InvalidContentError };
      }
    }
    const identity = identify(delivery, payload);
    if (invalid === undefined && identity.idFrom === 'body-hash') {
      // Without an id, a redelivery and a second message with the same body look alike: repeat counts
      // and idempotent consumers would mix them up.
      invalid = {
        error: new InvalidContentError(
          'The message has no id: neither a messageId property nor an event_id in the body',
        ),
      };
    }
    // A copy this subscriber sent straight back to the queue (a repeat without delay, a re-count) can
    // arrive before the original's ack has left the process: it waits for that ack, so a handler that
    // crashes the process cannot leave both in the queue and multiply the message.
    const settling = this.#settling.get(identity.messageId);
    if (settling !== undefined) await settling;
    await this.#process(delivery, handler, payload, invalid, identity);
  }

  async #process(
    delivery: Delivery,
    handler: MessageHandler<P>,
    payload: unknown,
    invalid: Refusal | undefined,
    identity: MessageIdentity,
  ): Promise<void> {
    // Its outcome was decided on an earlier delivery, which could not complete it: complete it now.
    const decided = delivery.redelivered ? this.#decisions.take(identity) : undefined;
    if (decided !== undefined) return this.#completeDecision(delivery, identity, decided);
    const counted = await this.#count(repeatCounterId(identity));
    if (invalid !== undefined) {
      // Before the crash accounting below: the handler never runs for it, so it cannot have crashed a
      // process, and a message that can never succeed is not repeated, not even once.
      const attempt = Math.max(identity.headerAttempt + 1, counted ?? 0);
      return this.#deadLetterIt(
        delivery,
        identity,
        attempt,
        'invalid-content',
        invalid.error,
        invalid.droppedHeaderBytes,
      );
    }
    if (delivery.redelivered && (counted === undefined || counted <= identity.headerAttempt + 1)) {
      // A previous delivery ended unsettled (the consumer crashed or lost its connection) and the counter
      // cannot tell how often: count it in the header by re-sending, so crash loops stay bounded.
      const attempt = identity.headerAttempt + 1;
      const cutOff = new Error(
        'The previous delivery ended without being settled (consumer crash or disconnect)',
      );
      if (attempt >= this.#maxAttempts)
        return this.#deadLetterIt(delivery, identity, attempt, 'repeats-exhausted', cutOff);
      return this.#repeat(delivery, identity, attempt, cutOff, 0);
    }
    const attempt = Math.max(identity.headerAttempt + 1, counted ?? 0);
    if (attempt > this.#maxAttempts) {
      // Counted deliveries beyond the limit: earlier ones ended unsettled (a crash loop). The handler
      // ran `attempt - 1` times; it does not run again.
      const runs = attempt - 1;
      const error = new Error(
        `Delivered ${runs} times without being settled (did the handler crash its process?)`,
      );
      return this.#deadLetterIt(delivery, identity, runs, 'repeats-exhausted', error);
    }
    try {
      await handler({
        payload: payload as P,
        messageId: identity.messageId,
        headers: delivery.properties.headers,
        properties: delivery.properties,
        routingKey: identity.routingKey,
        exchange: identity.exchange,
        queue: this.queue,
        attempt,
        redelivered: delivery.redelivered,
      });
    } catch (error) {
      if (error instanceof InvalidContentError) {
        return this.#deadLetterIt(delivery, identity, attempt, 'invalid-content', error);
      }
      if (isNonRetryable(error))
        return this.#deadLetterIt(delivery, identity, attempt, 'non-retryable', error);
      if (attempt >= this.#maxAttempts)
        return this.#deadLetterIt(delivery, identity, attempt, 'repeats-exhausted', error);
      return this.#repeat(delivery, identity, attempt, error, this.#delayFor(attempt));
    }
    // The ack is not sent when the channel that delivered the message died meanwhile: the broker
    // redelivers it, so it is neither reported as acked nor forgotten by the counter.
    if (!delivery.ack()) return;
    await this.#forget(repeatCounterId(identity));
    this.emit('settled', { outcome: 'acked', queue: this.queue, messageId: identity.messageId, attempt });
  }

  /** Sends a copy to this queue only (through its wait queue when delayed), then acks the original. */
  async #repeat(
    delivery: Delivery,
    identity: MessageIdentity,
    attempt: number,
    error: unknown,
    delayMs: number,
  ) {
    const headers = repeatHeaders(headersToCopy(delivery), {
      ...identity,
      attempt,
      error,
      now: new Date(),
    });
    const routingKey = delayMs > 0 ? waitQueueName(this.queue, delayMs) : this.queue;
    await this.#copyThenAck(delivery, identity, { exchange: '', routingKey, headers, attempt }, () =>
      this.emit('settled', {
        outcome: 'repeated',
        queue: this.queue,
        messageId: identity.messageId,
        attempt,
        delayMs,
        error,
      }),
    );
  }

  /** Publishes a copy with the reason to the common dead-letter exchange, then acks the original. */
  async #deadLetterIt(
    delivery: Delivery,
    identity: MessageIdentity,
    attempt: number,
    reason: DeadLetterReason,
    error: unknown,
    droppedHeaderBytes?: number,
  ): Promise<void> {
    const original = droppedHeaderBytes === undefined ? headersToCopy(delivery) : {};
    const headers = deadLetterHeaders(original, {
      reason,
      error,
      attempts: attempt,
      queue: this.queue,
      exchange: identity.exchange,
      routingKey: identity.routingKey,
      consumerApp: this.appId,
      now: new Date(),
      droppedHeaderBytes,
    });
    const copy = {
      exchange: this.deadLetter.exchange,
      routingKey: identity.routingKey,
      headers,
      attempt,
      lastResort: droppedHeaderBytes !== undefined,
    };
    await this.#copyThenAck(delivery, identity, copy, async () => {
      await this.#forget(repeatCounterId(identity));
      this.emit('settled', {
        outcome: 'dead-lettered',
        queue: this.queue,
        messageId: identity.messageId,
        attempt,
        reason,
        error,
      });
    });
  }

  /** A redelivered message whose outcome was decided before: its copy is published (once), then it is acked. */
  async #completeDecision(delivery: Delivery, identity: MessageIdentity, decided: SettleDecision) {
    if (!decided.copied) return this.#copyThenAck(delivery, identity, decided.copy, decided.after);
    // The copy went out; only the ack was lost. Nothing to publish, and `settled` was emitted then.
    if (!delivery.ack()) this.#decisions.remember(identity, decided);
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
        this.#decisions.remember(identity, { copy, copied: false, after });
        return;
      }
      if (result === 'published') {
        if (!this.#ackAfterCopy(delivery, identity))
          this.#decisions.remember(identity, { copy, copied: true, after });
        // amqplib writes an ack two turns later (a 'readable' event, then a setImmediate that writes to
        // the socket): wait until it has been handed to the socket before the copy may run.
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
      return this.#deadLetterIt(delivery, identity, copy.attempt, 'invalid-content', invalid, dropped);
    }
    if (delivery.nack({ requeue: false })) await after();
    else this.#decisions.remember(identity, { copy, copied: false, after });
  }

  /**
   * Publishes the copy, again and again with backoff while it fails (the original stays unacked, the
   * handler does not run again). Only when the subscriber closes meanwhile does the original go back to
   * the queue, its decision remembered: `stopped` then. A copy the transport refuses as such: `refused`.
   */
  async #publishCopy(delivery: Delivery, identity: MessageIdentity, copy: DecidedCopy): Promise<CopyResult> {
    const { exchange, routingKey, headers } = copy;
    const message = {
      exchange,
      routingKey,
      content: delivery.content,
      properties: copyProperties(delivery.properties, identity.messageId, headers),
    };
    const copied = await publishUntilConfirmed(
      () => this.#transport.publish(message),
      this.#stopping.signal,
      (error, attempt, retryInMs) =>
        this.emit(
          'error',
          new Error(
            `Could not publish the ${exchange === '' ? 'repeat' : 'dead letter'} of message ` +
              `${identity.messageId} of ${this.queue} (attempt ${attempt}); retrying in ${retryInMs} ms, ` +
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
    this.emit('warning', {
      code: 'settle-lost',
      message:
        `Message ${identity.messageId} of ${this.queue} was copied, but its channel closed before the ack: ` +
        `the broker redelivers it, and this subscriber then acks it without running the handler again`,
      error: undefined,
    });
    return false;
  }

  #delayFor(attempt: number): number {
    if (this.#delays.length === 0) return 0;
    return this.#delays[Math.min(attempt - 1, this.#delays.length - 1)]!;
  }

  async #count(messageId: string): Promise<number | undefined> {
    try {
      const count = await beforeDeadline(
        this.#counter.increment(this.queue, messageId),
        Date.now() + this.#counterTimeoutMs,
        () => new Error(`The repeat counter did not answer within ${this.#counterTimeoutMs} ms`),
      );
      this.#counterAnswered();
      return count;
    } catch (error) {
      this.#warnCounter(error);
      return undefined;
    }
  }

  async #forget(messageId: string): Promise<void> {
    try {
      await beforeDeadline(
        this.#counter.forget(this.queue, messageId),
        Date.now() + this.#counterTimeoutMs,
        () => new Error(`The repeat counter did not answer within ${this.#counterTimeoutMs} ms`),
      );
      this.#counterAnswered();
    } catch (error) {
      this.#warnCounter(error);
    }
  }

  /**
   * Warns once when the counter stops answering: during an outage every delivery fails to count, and a
   * warning each (hundreds a second) would bury the logs. The failures are tallied for the
   * `repeat-counter-restored` warning.
   */
  #warnCounter(error: unknown): void {
    if (this.#counterOutage !== undefined) {
      this.#counterOutage.failures++;
      return;
    }
    this.#counterOutage = { since: Date.now(), failures: 1 };
    this.emit('warning', {
      code: 'repeat-counter-unavailable',
      message: `Repeat counter unavailable, counting attempts in the message header: ${(error as Error)?.message ?? String(error)}`,
      error,
    });
  }

  #counterAnswered(): void {
    const outage = this.#counterOutage;
    if (outage === undefined) return;
    this.#counterOutage = undefined;
    this.emit('warning', {
      code: 'repeat-counter-restored',
      message:
        `Repeat counter available again after ${outage.failures} failed call(s) over ` +
        `${Date.now() - outage.since} ms`,
      error: undefined,
    });
  }
}

function isRepeatCounter(value: unknown): value is RepeatCounter {
  const counter = value as Partial<RepeatCounter> | null;
  return (
    typeof counter === 'object' &&
    counter !== null &&
    typeof counter.increment === 'function' &&
    typeof counter.forget === 'function' &&
    typeof counter.close === 'function'
  );
}

function isNonRetryable(error: unknown): boolean {
  return (
    error instanceof NonRetryableError ||
    (typeof error === 'object' &&
      error !== null &&
      (error as { code?: unknown }).code === 'ERR_TIDINGS_NON_RETRYABLE')
  );
}
