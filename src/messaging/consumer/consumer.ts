import { EventEmitter } from 'eventemitter3';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { describeValue } from '../../internal/options.js';
import type { ConsumedMessage, MessageHandler } from './consumed-message.js';
import { CopyThenAck } from './copy-then-ack.js';
import {
  decideSettlement,
  type HandlerResult,
  type Settlement,
  type SettlementInput,
} from './decide-settlement.js';
import { inspectDelivery, type DeliveryRefusal } from './delivery-refusal.js';
import { repeatCounterId, type MessageIdentity } from '../envelope.js';
import type { DeadLetterNames } from '../names.js';
import { RepeatCounterGuard } from './repeat-counter-guard.js';
import type { ConsumerEvents } from './consumer-events.js';
import {
  resolveConsumerOptions,
  type ResolvedConsumerOptions,
  type ConsumerOptions,
} from './consumer-options.js';
import { consumerTopology } from './consumer-topology.js';
import { observeProcess, type ProcessObservation } from '../telemetry/observe-process.js';
import { observeDeadLetterDepth } from '../telemetry/dead-letter-depth.js';
import type { TransportConsumer, Delivery, Transport } from '../transport.js';
import type { ConsumerHealth, ConsumerState } from '../health/consumer-health.js';
import { ComponentLog } from '../logging/component-log.js';
import { logConsumerEvents } from '../logging/log-consumer-events.js';

export type { ConsumedMessage, MessageHandler } from './consumed-message.js';
export type { SettledOutcome, ConsumerEvents } from './consumer-events.js';
export type { ConsumerOptions } from './consumer-options.js';
export type { ConsumerHealth, ConsumerState } from '../health/consumer-health.js';

const NOT_RUN: HandlerResult = { ran: false };
const RETURNED: HandlerResult = { ran: true, threw: false };

/**
 * The low-level consuming API, close to the seed library's: declares the queue, its bindings, its wait
 * queues and the common dead-letter queue, then hands each message to the handler. A handler that
 * returns acks the message; one that throws gets it repeated (to this queue only, after a delay) until
 * `maxAttempts`, then dead-lettered with the reason. Nothing is acked before its copy is confirmed.
 *
 * @example
 * const consumer = new Consumer(transport, { queue: 'billing.orders', bindingKeys: ['order.created'] });
 * consumer.on('settled', (s) => log(s.outcome, s.messageId));
 * await consumer.consume(async ({ payload, attempt }) => bill(payload));
 */
export class Consumer<P = unknown> extends EventEmitter<ConsumerEvents> {
  readonly queue: string;
  readonly bindingKeys: readonly string[];
  readonly appId: string;
  readonly deadLetter: DeadLetterNames;
  readonly #transport: Transport;
  readonly #options: ResolvedConsumerOptions;
  readonly #counter: RepeatCounterGuard;
  /** Acks, repeats and dead letters; remembers what it could not complete for the redelivery. */
  readonly #settler: CopyThenAck;
  #consumer: TransportConsumer | undefined;
  /** Aborted by close(): copies being retried give their message back to the queue. */
  #stopping = new AbortController();
  /** Unregisters the dead-letter queue's depth gauge (dead-letter-depth.ts), registered while consuming. */
  #unobserveDepth: (() => void) | undefined;
  #state: ConsumerState = 'idle';
  #since = Date.now();
  /** Deliveries between their arrival and their settlement, for health(). */
  #inFlight = 0;

  constructor(transport: Transport, options: ConsumerOptions) {
    super();
    if (typeof transport?.consume !== 'function') {
      throw new InvalidArgumentError(`Consumer: expected a Transport, got ${describeValue(transport)}`);
    }
    const resolved = resolveConsumerOptions(options);
    this.#transport = transport;
    this.#options = resolved;
    this.queue = resolved.queue;
    this.bindingKeys = resolved.bindingKeys;
    this.appId = resolved.appId;
    this.deadLetter = resolved.deadLetter;
    this.#counter = new RepeatCounterGuard(
      resolved.repeatCounter,
      resolved.queue,
      resolved.repeatCounterTimeoutMs,
      (warning) => this.emit('warning', warning),
    );
    this.#settler = new CopyThenAck({
      transport,
      queue: this.queue,
      appId: this.appId,
      deadLetter: this.deadLetter,
      counter: this.#counter,
      events: this,
      stopping: () => this.#stopping.signal,
    });
    logConsumerEvents(this, this.queue, new ComponentLog(resolved.logger, 'Consumer'));
  }

  /**
   * Where the consumer is, for readiness probes: `'up'` while consuming.
   * @example
   * const { status, state, inFlight } = consumer.health();
   */
  health(): ConsumerHealth {
    return {
      status: this.#state === 'consuming' ? 'up' : 'down',
      queue: this.queue,
      state: this.#state,
      consuming: this.#state === 'consuming',
      inFlight: this.#inFlight,
      prefetch: this.#options.prefetch,
      since: new Date(this.#since),
    };
  }

  /** Declares the topology and starts consuming. */
  async consume(handler: MessageHandler<P>): Promise<void> {
    if (typeof handler !== 'function') {
      throw new InvalidArgumentError(`subscribe: handler must be a function, got ${describeValue(handler)}`);
    }
    if (this.#consumer !== undefined)
      throw new InvalidArgumentError(`subscribe: ${this.queue} is already subscribed`);
    if (this.#stopping.signal.aborted) this.#stopping = new AbortController();
    const stopping = this.#stopping.signal;
    this.#enter('starting');
    try {
      await this.#subscribe(handler, stopping);
    } catch (error) {
      if (!stopping.aborted) this.#enter('idle');
      throw error;
    }
    // Closed while it was starting: close() has run and found nothing to stop, so it stops here.
    if (stopping.aborted) return this.#stopLate();
    this.#enter('consuming');
  }

  /** What close() would have done, for a consumer that close() overtook while it was starting. */
  async #stopLate(): Promise<void> {
    const consumer = this.#consumer;
    this.#consumer = undefined;
    this.#unobserveDepth?.();
    this.#unobserveDepth = undefined;
    await consumer?.cancel();
    this.#enter('closed');
  }

  async #subscribe(handler: MessageHandler<P>, stopping: AbortSignal): Promise<void> {
    await this.#transport.declare(
      consumerTopology({
        queue: this.queue,
        bindingKeys: this.bindingKeys,
        deadLetter: this.deadLetter,
        repeatDelaysMs: this.#options.repeatDelaysMs,
        queueType: this.#options.queueType,
        messageTtlMs: this.#options.messageTtlMs,
      }),
    );
    this.#consumer = await this.#transport.consume(
      this.queue,
      (delivery) => this.#handle(delivery, handler),
      {
        prefetch: this.#options.prefetch,
      },
    );
    if (!stopping.aborted) {
      this.#unobserveDepth = observeDeadLetterDepth(this.#transport, this.deadLetter.queue);
    }
  }

  /** Stops consuming; resolves once running handlers have finished and settled their messages. */
  async close(): Promise<void> {
    const consumer = this.#consumer;
    this.#consumer = undefined;
    this.#unobserveDepth?.();
    this.#unobserveDepth = undefined;
    this.#stopping.abort();
    if (this.#state !== 'idle') this.#enter('closing');
    try {
      await consumer?.cancel();
    } finally {
      if (this.#state === 'closing') this.#enter('closed');
    }
  }

  #enter(state: ConsumerState): void {
    this.#state = state;
    this.#since = Date.now();
  }

  #handle(delivery: Delivery, handler: MessageHandler<P>): Promise<void> {
    this.#inFlight++;
    const handled = this.#handleCounted(delivery, handler);
    // Counted down beside the transport's own wait, not in an async wrapper around it: the delivery
    // settles on the same turn as without health().
    void handled.then(this.#handledOne, this.#handledOne);
    return handled;
  }

  readonly #handledOne = (): void => {
    this.#inFlight--;
  };

  async #handleCounted(delivery: Delivery, handler: MessageHandler<P>): Promise<void> {
    const { payload, identity, refusal } = inspectDelivery(delivery, this.#options);
    // A copy this consumer sent straight back to the queue (a repeat without delay, a re-count) can
    // arrive before the original's ack has left the process: it waits for that ack, so a handler that
    // crashes the process cannot leave both in the queue and multiply the message.
    const settling = this.#settler.settling(identity.messageId);
    if (settling !== undefined) await settling;
    // A `process` span and the consumer metrics when an OpenTelemetry SDK is registered; else nothing is
    // allocated here.
    const observed = observeProcess(delivery, identity, this.queue);
    if (observed === undefined) return this.#process(delivery, handler, payload, refusal, identity);
    return observed.run(() => this.#process(delivery, handler, payload, refusal, identity, observed));
  }

  async #process(
    delivery: Delivery,
    handler: MessageHandler<P>,
    payload: unknown,
    refusal: DeliveryRefusal | undefined,
    identity: MessageIdentity,
    observed?: ProcessObservation,
  ): Promise<void> {
    // Its outcome was decided on an earlier delivery, which could not complete it: complete it now.
    const remembered = delivery.redelivered ? this.#settler.takeRemembered(identity) : undefined;
    if (remembered !== undefined) {
      observed?.completingEarlier();
      return this.#settler.completeRemembered(delivery, identity, remembered);
    }
    // A counter in this process answers at once: no turn of the microtask queue for it.
    const counting = this.#counter.count(repeatCounterId(identity));
    const counted = counting instanceof Promise ? await counting : counting;
    // One input object for both decisions (before and after the handler): only its result changes.
    const input: { -readonly [K in keyof SettlementInput]: SettlementInput[K] } = {
      redelivered: delivery.redelivered,
      headerAttempt: identity.headerAttempt,
      counted,
      maxAttempts: this.#options.maxAttempts,
      repeatDelaysMs: this.#options.repeatDelaysMs,
      refusal: refusal?.error,
      handler: NOT_RUN,
    };
    const before = decideSettlement(input);
    if (before.kind !== 'handle') return this.#settleObserved(delivery, identity, before, observed, refusal);
    try {
      // A synchronous handler's result is not awaited: no turn of the microtask queue for it.
      const returned: unknown = handler(this.#message(delivery, identity, payload, before.attempt));
      if (isThenable(returned)) await returned;
      input.handler = RETURNED;
    } catch (error) {
      input.handler = { ran: true, threw: true, error };
    }
    const after = decideSettlement(input);
    return this.#settleObserved(delivery, identity, after, observed);
  }

  /** `#settle`, its decision recorded on the `process` span and run in a `settle` span, when traced. */
  #settleObserved(
    delivery: Delivery,
    identity: MessageIdentity,
    settlement: Settlement,
    observed: ProcessObservation | undefined,
    refusal?: DeliveryRefusal,
  ): Promise<void> {
    if (observed === undefined || settlement.kind === 'handle') {
      return this.#settle(delivery, identity, settlement, refusal);
    }
    observed.decided(settlement);
    return observed.settle(settlement, () => this.#settle(delivery, identity, settlement, refusal));
  }

  #message(
    delivery: Delivery,
    identity: MessageIdentity,
    payload: unknown,
    attempt: number,
  ): ConsumedMessage<P> {
    return {
      payload: payload as P,
      messageId: identity.messageId,
      headers: delivery.properties.headers,
      properties: delivery.properties,
      routingKey: identity.routingKey,
      exchange: identity.exchange,
      queue: this.queue,
      attempt,
      redelivered: delivery.redelivered,
    };
  }

  #settle(
    delivery: Delivery,
    identity: MessageIdentity,
    settlement: Settlement,
    refusal?: DeliveryRefusal,
  ): Promise<void> {
    switch (settlement.kind) {
      case 'ack':
        return this.#settler.ack(delivery, identity, settlement.attempt);
      case 'repeat': {
        const { attempt, error, delayMs } = settlement;
        return this.#settler.repeat(delivery, identity, attempt, error, delayMs);
      }
      case 'dead-letter': {
        const { attempt, reason, error } = settlement;
        // Bad input goes without headers too large to copy along.
        const dropped = reason === 'invalid-content' ? refusal?.droppedHeaderBytes : undefined;
        return this.#settler.deadLetter(delivery, identity, attempt, reason, error, dropped);
      }
      case 'handle':
        throw new Error('decideSettlement answered "handle" for a handler that has run');
    }
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}
