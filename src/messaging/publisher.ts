import { assertKnownOptions, describeValue, integerOption, optionKeys } from '../internal/options.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { PublishTimeoutError } from '../errors/publish-timeout-error.js';
import { beforeDeadline } from '../internal/signal.js';
import { defaultAppId, DEFAULT_PUBLISH_TIMEOUT_MS } from './defaults.js';
import { encodeOutgoing, type MessageOptions } from './encode-outgoing.js';
import { publishTraced } from './telemetry/producer-spans.js';
import type { PublishOptions, Transport } from './transport.js';

export interface PublisherOptions {
  /**
   * This service's name, written as the `appId` property and the origin header of every message. The
   * same default as `Bridge`, `Consumer` and `DeadLetters`, so that messages of one service carry one
   * name whichever API sent them.
   * @defaultValue process.env.TIDINGS_APP_ID ?? 'tidings'
   */
  appId?: string;
}

export interface SendOptions extends PublishOptions, MessageOptions {
  // timeoutMs (from PublishOptions): declaring the exchange, waiting and the confirm, together. @defaultValue 10000
}

const OPTION_KEYS = optionKeys<PublisherOptions>({ appId: true });

const SEND_OPTION_KEYS = optionKeys<SendOptions>({
  headers: true,
  messageId: true,
  correlationId: true,
  eventName: true,
  exchange: true,
  expirationMs: true,
  timeoutMs: true,
});

/**
 * The low-level publishing API, close to the seed library's: `send(payload, routingKey)`. The exchange
 * is the routing key's first part (`order.created` → `order`, topic, durable), declared on first use.
 * Resolves once the broker has confirmed the message; rejects with a typed error otherwise.
 *
 * @example
 * const publisher = new Publisher(transport, { appId: 'orders' });
 * const { messageId } = await publisher.send({ event_id: 11995, name: 'docx' }, 'order.created');
 */
export class Publisher {
  readonly #transport: Transport;
  readonly #appId: string;
  readonly #declared = new Map<string, Promise<void>>();
  /** Exchanges whose declaration has completed. */
  readonly #ready = new Set<string>();

  constructor(transport: Transport, options: PublisherOptions = {}) {
    if (typeof transport?.publish !== 'function') {
      throw new InvalidArgumentError(`Publisher: expected a Transport, got ${describeValue(transport)}`);
    }
    assertKnownOptions(options, OPTION_KEYS, 'Publisher');
    if (options.appId !== undefined && (typeof options.appId !== 'string' || options.appId === '')) {
      throw new InvalidArgumentError(
        `Publisher: appId must be a non-empty string, got ${describeValue(options.appId)}`,
      );
    }
    this.#transport = transport;
    this.#appId = options.appId ?? defaultAppId();
  }

  async send(
    payload: unknown,
    routingKey: string,
    options: SendOptions = {},
  ): Promise<{ messageId: string }> {
    assertKnownOptions(options, SEND_OPTION_KEYS, 'send');
    if (options.timeoutMs !== undefined) integerOption(options.timeoutMs, 0, 'send: timeoutMs', 1);
    // The encoding the outbox stores too (encodeOutboxMessage): one wire format either way. It checks
    // the routing key first.
    const message = encodeOutgoing(payload, routingKey, options, this.#appId, 'send');
    const { exchange } = message;
    const timeoutMs = options.timeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS;
    if (!this.#ready.has(exchange)) {
      // The send timeout covers declaring the exchange too: a broker that is down must not hold it
      // longer. Once declared, sends skip this (and its timer) entirely.
      const started = Date.now();
      await beforeDeadline(
        this.#declareExchange(exchange),
        started + timeoutMs,
        () => new PublishTimeoutError(exchange, routingKey, message.properties.messageId, timeoutMs),
      );
      this.#ready.add(exchange);
      const left = Math.max(1, timeoutMs - (Date.now() - started));
      await publishTraced(this.#transport, message, { timeoutMs: left }, 'direct');
    } else {
      await publishTraced(this.#transport, message, { timeoutMs }, 'direct');
    }
    return { messageId: message.properties.messageId };
  }

  /** Declares the exchange once per publisher (a topic exchange, durable), as the seed library did. */
  #declareExchange(exchange: string): Promise<void> {
    let declared = this.#declared.get(exchange);
    if (declared === undefined) {
      declared = this.#transport.declare({ exchanges: [{ name: exchange, type: 'topic', durable: true }] });
      declared.catch(() => this.#declared.delete(exchange)); // a failed declaration is tried again next time
      this.#declared.set(exchange, declared);
    }
    return declared;
  }
}
