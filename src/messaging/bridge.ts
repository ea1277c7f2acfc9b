import { EventEmitter } from 'eventemitter3';
import {
  eventNameOf,
  type EventClass,
  type Listener,
  type ListenOptions,
  type Unsubscribe,
} from '../dispatcher/event-types.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { InvalidContentError } from '../errors/invalid-content-error.js';
import { assertKnownOptions, describeValue, optionKeys } from '../internal/options.js';
import type { Flusher } from '../deferred/flusher.js';
import type { Outbox, OutboxMessage } from './outbox/outbox.js';
import { defaultAppId } from './defaults.js';
import { encodeOutboxMessageOf } from './outbox/outbox-message.js';
import { hydrate } from './hydrate.js';
import { resolveDeadLetterNames, type DeadLetterNames } from './names.js';
import { Publisher } from './publisher.js';
import { MemoryRepeatCounter } from './repeat/memory-repeat-counter.js';
import type { RepeatCounter } from './repeat/repeat-counter.js';
import { assertRoutingKey } from './routing.js';
import { isStandardSchema, validatePayload, type StandardSchemaV1 } from './standard-schema.js';
import {
  Consumer,
  type ConsumedMessage,
  type MessageHandler,
  type ConsumerEvents,
  type ConsumerOptions,
} from './consumer/consumer.js';
import type { Transport } from './transport.js';
import type { BridgeHealth } from './health/bridge-health.js';
import { ComponentLog } from './logging/component-log.js';
import { loggerOption, type Logger } from './logging/logger.js';

/** What the bridge needs of a dispatcher: `EventDispatcher` fits. */
export interface BridgedDispatcher {
  on<E extends object>(type: EventClass<E>, listener: Listener<E>, options?: ListenOptions): Unsubscribe;
  dispatch<E extends object>(event: E): Promise<E>;
}

export interface BridgeOptions {
  dispatcher: BridgedDispatcher;
  /**
   * Where messages go: `new MemoryTransport()`, or `createTransport()` from `tidings/rabbitmq` (RabbitMQ
   * when `AMQP_URL` is set). Required: the messaging core loads no broker driver of its own. Yours to
   * close, after the bridge.
   */
  transport: Transport;
  /** This service's name: the `appId` of what it publishes and the prefix of its dead-letter names. @defaultValue process.env.TIDINGS_APP_ID ?? 'tidings' */
  appId?: string;
  /** Shared by the bridge's consumers. @defaultValue new MemoryRepeatCounter() */
  repeatCounter?: RepeatCounter;
  deadLetter?: Partial<DeadLetterNames>;
  /**
   * The `logger` of the bridge's consumers (their warnings and errors, with codes), and where a
   * consumer that could not start (`consumer-start-failed`) is written. Events stay as they are.
   * @defaultValue none: the events only
   */
  logger?: Logger;
}

export interface ForwardOptions<E> {
  /** At least two dot-separated parts; the first names the exchange (`order.placed` → `order`). */
  routingKey: string;
  /** The JSON payload of the event. @defaultValue the event itself (its own enumerable properties) */
  toPayload?: (event: E) => unknown;
  /** Priority of the forwarding listener. @defaultValue 0 */
  priority?: number;
}

export interface BridgeConsumeOptions extends Omit<
  ConsumerOptions,
  'appId' | 'repeatCounter' | 'deadLetter' | 'logger'
> {
  /** Event classes by event name (the `type` property) or routing key: consumed messages become these and are dispatched. */
  events?: Readonly<Record<string, EventClass>>;
  /** A Standard Schema validator (zod, valibot, arktype…), or one per event name / routing key. */
  schema?: StandardSchemaV1 | Readonly<Record<string, StandardSchemaV1>>;
  /** Instead of `events`: a plain function that handles each message. */
  handler?: MessageHandler;
}

export type BridgeEvents = ConsumerEvents;

const OPTION_KEYS = optionKeys<BridgeOptions>({
  dispatcher: true,
  transport: true,
  appId: true,
  repeatCounter: true,
  deadLetter: true,
  logger: true,
});
const FORWARD_OPTION_KEYS = optionKeys<ForwardOptions<unknown>>({
  routingKey: true,
  toPayload: true,
  priority: true,
});

/**
 * Connects a dispatcher to a broker: `forward()` publishes chosen events (the publish is part of the
 * dispatch, so a failure is the dispatch's error, never a lost event); `consume()` turns messages of a
 * queue back into events and dispatches them, with repeats and dead-lettering. Events that came from the
 * broker are never forwarded again.
 *
 * @example
 * const bridge = new Bridge({ dispatcher, transport: createTransport(), appId: 'orders' });
 * bridge.forward(OrderPlaced, { routingKey: 'order.placed' });
 * bridge.consume({ queue: 'billing.orders', bindingKeys: ['order.placed'], events: { 'order.placed': OrderPlaced } });
 * await bridge.start();
 */
export class Bridge extends EventEmitter<BridgeEvents> {
  readonly appId: string;
  readonly transport: Transport;
  readonly #dispatcher: BridgedDispatcher;
  readonly #counter: RepeatCounter;
  readonly #ownsCounter: boolean;
  readonly #deadLetter: Partial<DeadLetterNames> | undefined;
  readonly #publisher: Publisher;
  readonly #consumed = new WeakSet<object>();
  readonly #forwards: Unsubscribe[] = [];
  /** What forward() registered, for the outbox hook: events of these classes go to the outbox. */
  readonly #routes: {
    type: EventClass;
    routingKey: string;
    eventName: string;
    toPayload: (event: never) => unknown;
  }[] = [];
  /** Events written to the outbox in their transaction: the relay publishes them, not the listener. */
  readonly #viaOutbox = new WeakSet<object>();
  readonly #consumers: { consumer: Consumer; handler: MessageHandler }[] = [];
  #started = false;
  readonly #logger: Logger | undefined;
  readonly #log: ComponentLog;

  constructor(options: BridgeOptions) {
    super();
    assertKnownOptions(options, OPTION_KEYS, 'Bridge');
    if (typeof options?.dispatcher?.on !== 'function') {
      throw new InvalidArgumentError('Bridge: "dispatcher" must be an EventDispatcher');
    }
    if (typeof options.transport?.publish !== 'function') {
      throw new InvalidArgumentError(
        `Bridge: "transport" must be a Transport (new MemoryTransport(), or createTransport() from ` +
          `'tidings/rabbitmq'), got ${describeValue(options.transport)}`,
      );
    }
    this.#dispatcher = options.dispatcher;
    this.appId = options.appId ?? defaultAppId();
    // Checked now rather than at the first consume(): a bad appId or deadLetter is a configuration
    // error of the bridge, and forward-only bridges would otherwise publish with it.
    resolveDeadLetterNames(this.appId, options.deadLetter, 'Bridge');
    if (options.repeatCounter !== undefined && typeof options.repeatCounter?.increment !== 'function') {
      throw new InvalidArgumentError(
        `Bridge: "repeatCounter" must be a RepeatCounter, got ${describeValue(options.repeatCounter)}`,
      );
    }
    this.transport = options.transport;
    this.#ownsCounter = options.repeatCounter === undefined;
    this.#counter = options.repeatCounter ?? new MemoryRepeatCounter();
    this.#deadLetter = options.deadLetter;
    this.#publisher = new Publisher(this.transport, { appId: this.appId });
    this.#logger = loggerOption(options.logger, 'Bridge');
    this.#log = new ComponentLog(this.#logger, 'Bridge');
  }

  /**
   * The transport's and every consumer's health: `'up'` when the transport is up and every consumer
   * consumes (before `start()`, consumers are `idle`: down).
   * @example
   * const { status, transport, consumers } = bridge.health();
   */
  health(): BridgeHealth {
    const transport = this.transport.health();
    const consumers = this.#consumers.map(({ consumer }) => consumer.health());
    const up = transport.status === 'up' && consumers.every((consumer) => consumer.status === 'up');
    return { status: up ? 'up' : 'down', transport, consumers };
  }

  /** Publishes every dispatched `type` event (and subclass events) to the broker. */
  forward<E extends object>(type: EventClass<E>, options: ForwardOptions<E>): this {
    assertKnownOptions(options, FORWARD_OPTION_KEYS, `forward(${eventNameOf(type)})`);
    const routingKey = assertRoutingKey(options?.routingKey);
    const toPayload = options.toPayload ?? ((event: E) => event);
    const eventName = eventNameOf(type);
    this.#routes.push({ type, routingKey, eventName, toPayload: toPayload });
    const forwardToBroker = async (event: E): Promise<void> => {
      if (this.#consumed.has(event)) return; // it came from the broker: forwarding it again would loop
      if (this.#viaOutbox.has(event)) return; // committed to the outbox: the relay publishes it
      await this.#publisher.send(toPayload(event), routingKey, { eventName });
    };
    // Named so that getListeners() and describeListeners() say what this listener is.
    Object.defineProperty(forwardToBroker, 'name', { value: `Bridge.forward(${routingKey})` });
    const off = this.#dispatcher.on(type, forwardToBroker, { priority: options.priority ?? 0 });
    this.#forwards.push(off);
    return this;
  }

  /**
   * Sends forwarded events through a transactional outbox: a before-commit hook of `flusher` writes them
   * to `outbox` inside the business transaction (one `add` per flush), so they are published if and only
   * if it commits; the relay publishes them (and is nudged right after each commit). Events dispatched
   * outside a flush are still published directly.
   *
   * @example
   * bridge.useOutbox(flusher, new PgOutbox({ pool }), relay);
   */
  useOutbox<Tx extends OutboxTx, OutboxTx>(
    flusher: Flusher<Tx>,
    outbox: Outbox<OutboxTx>,
    relay?: { nudge(): void },
  ): this {
    if (typeof outbox?.add !== 'function') throw new InvalidArgumentError('useOutbox: expected an Outbox');
    flusher.addBeforeCommitHook(async (events, tx) => {
      const messages: OutboxMessage[] = [];
      for (const event of events) {
        if (this.#consumed.has(event)) continue;
        for (const route of this.#routes) {
          if (!(event instanceof (route.type as abstract new (...args: never[]) => object))) continue;
          // Encoded as forward() would send it (Publisher.send, same appId and event name): the relay then
          // publishes these very bytes, properties and headers.
          messages.push(
            encodeOutboxMessageOf(event, route.toPayload(event as never), route.routingKey, {
              appId: this.appId,
              eventName: route.eventName,
            }),
          );
          this.#viaOutbox.add(event);
        }
      }
      if (messages.length > 0) await outbox.add(messages, tx);
    });
    if (relay !== undefined) flusher.addAfterCommitHook(() => relay.nudge());
    return this;
  }

  /** Consumes a queue into the dispatcher (or a handler). Takes effect on `start()`. */
  consume(options: BridgeConsumeOptions): this {
    const { events, schema, handler, ...consumerOptions } = options;
    const where = `consume(${describeValue(options?.queue)})`;
    if ((events === undefined) === (handler === undefined)) {
      throw new InvalidArgumentError(`${where}: give either "events" or "handler"`);
    }
    if (handler !== undefined && typeof handler !== 'function') {
      throw new InvalidArgumentError(`${where}: "handler" must be a function, got ${describeValue(handler)}`);
    }
    if (events !== undefined) assertEvents(events, where);
    if (schema !== undefined) assertSchema(schema, events, where);
    const consumer = new Consumer(this.transport, {
      ...consumerOptions,
      appId: this.appId,
      repeatCounter: this.#counter,
      ...(this.#deadLetter !== undefined ? { deadLetter: this.#deadLetter } : {}),
      ...(this.#logger !== undefined ? { logger: this.#logger } : {}),
    });
    consumer.on('settled', (outcome) => this.emit('settled', outcome));
    consumer.on('warning', (warning) => this.emit('warning', warning));
    consumer.on('error', (error) => this.emit('error', error));
    this.#consumers.push({
      consumer,
      handler: handler ?? ((message) => this.#dispatchConsumed(message, events!, schema)),
    });
    if (this.#started) {
      const entry = this.#consumers.at(-1)!;
      this.#startConsumer(entry).catch((error: unknown) => {
        const asError = error instanceof Error ? error : new Error(String(error));
        const queue = entry.consumer.queue;
        this.#log.error('consumer-start-failed', `Cannot consume ${queue}: ${asError.message}`, {
          queue,
          err: asError,
        });
        this.emit('error', asError);
      });
    }
    return this;
  }

  /** Connects, declares the topology and starts every consumer. */
  async start(): Promise<void> {
    this.#started = true;
    await this.transport.connect();
    for (const entry of this.#consumers) await this.#startConsumer(entry);
  }

  /** Stops forwarding and consuming (running handlers finish), then closes what the bridge created. */
  async close(): Promise<void> {
    for (const off of this.#forwards.splice(0)) off();
    await Promise.all(this.#consumers.map(({ consumer }) => consumer.close()));
    if (this.#ownsCounter) await this.#counter.close();
  }

  async #startConsumer(entry: { consumer: Consumer; handler: MessageHandler }): Promise<void> {
    await entry.consumer.consume(entry.handler);
  }

  async #dispatchConsumed(
    message: ConsumedMessage,
    events: Readonly<Record<string, EventClass>>,
    schema: BridgeConsumeOptions['schema'],
  ): Promise<void> {
    const name = typeof message.properties.type === 'string' ? message.properties.type : undefined;
    const key = name !== undefined && Object.hasOwn(events, name) ? name : message.routingKey;
    if (!Object.hasOwn(events, key)) {
      throw new InvalidContentError(
        `No event class for event "${name ?? '(no type)'}" / routing key "${message.routingKey}" on ${message.queue}`,
      );
    }
    let payload = message.payload;
    const validator = schemaFor(schema, key);
    if (validator !== undefined) payload = await validatePayload(validator, payload, `"${key}"`);
    const event = hydrate(events[key]!, payload);
    this.#consumed.add(event);
    await this.#dispatcher.dispatch(event);
  }
}

/** `events` maps names to classes; anything else would only fail when the first message arrives. */
function assertEvents(events: unknown, where: string): void {
  if (typeof events !== 'object' || events === null || Array.isArray(events)) {
    throw new InvalidArgumentError(
      `${where}: "events" must map event names to classes, got ${describeValue(events)}`,
    );
  }
  for (const [name, type] of Object.entries(events)) {
    if (typeof type !== 'function') {
      throw new InvalidArgumentError(
        `${where}: events["${name}"] must be an event class, got ${describeValue(type)}`,
      );
    }
  }
}

/**
 * `schema` is one Standard Schema validator, or one per event name. A record entry that is not a
 * validator, or that names no event of `events`, is a mistake that would silently skip validation.
 */
function assertSchema(
  schema: unknown,
  events: Readonly<Record<string, EventClass>> | undefined,
  where: string,
) {
  if (isStandardSchema(schema)) return;
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema) || '~standard' in schema) {
    throw new InvalidArgumentError(
      `${where}: "schema" must be a Standard Schema validator or one per event name, got ${describeValue(schema)}`,
    );
  }
  for (const [name, validator] of Object.entries(schema)) {
    if (!isStandardSchema(validator)) {
      throw new InvalidArgumentError(
        `${where}: schema["${name}"] must be a Standard Schema validator, got ${describeValue(validator)}`,
      );
    }
    if (events !== undefined && !Object.hasOwn(events, name)) {
      throw new InvalidArgumentError(
        `${where}: schema["${name}"] names no event of "events" (${Object.keys(events).join(', ')})`,
      );
    }
  }
}

function schemaFor(schema: BridgeConsumeOptions['schema'], key: string): StandardSchemaV1 | undefined {
  if (schema === undefined) return undefined;
  if ('~standard' in schema) return schema as StandardSchemaV1;
  const byName = schema;
  return Object.hasOwn(byName, key) ? byName[key] : undefined;
}
