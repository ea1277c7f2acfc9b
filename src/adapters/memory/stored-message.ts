import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { assertKnownOptions, describeValue } from '../../internal/options.js';
import { OUTGOING_MESSAGE_KEYS } from '../../messaging/transport-keys.js';
import { assertShortString, expirationMs } from '../../messaging/message-properties.js';
import { storedProperties, type StoredProperties } from './message-properties.js';

/** Why the broker dead-lettered a message (the `reason` of an `x-death` entry). */
export type BrokerDeathReason = 'rejected' | 'expired';

/** One entry of the broker's death history: one queue and reason, counted. */
export interface DeathRecord {
  readonly queue: string;
  readonly reason: BrokerDeathReason;
  readonly count: number;
  /** When it first died this way, with the second resolution of an AMQP timestamp. */
  readonly time: Date;
  readonly exchange: string;
  readonly routingKeys: readonly string[];
  readonly originalExpiration: string | undefined;
}

/**
 * A message as the broker holds it. Immutable and shared by every queue it was routed to: consumers get
 * copies, so nothing they do can change it.
 */
export interface StoredMessage {
  readonly exchange: string;
  readonly routingKey: string;
  readonly content: Buffer;
  readonly properties: StoredProperties;
  /** The per-message TTL from `properties.expiration`. */
  readonly ttlMs: number | undefined;
  /**
   * The broker's own death history, newest first. Like RabbitMQ 4 it is kept apart from the headers: an
   * `x-death` header a publisher sets is carried along but never trusted.
   */
  readonly deaths: readonly DeathRecord[];
  /** The first death, for the `x-first-death-*` headers. */
  readonly firstDeath: DeathRecord | undefined;
}

/** A message in one queue: where it stands there. */
export interface QueuedMessage {
  readonly message: StoredMessage;
  /** Epoch milliseconds when it expires while waiting in this queue; `undefined` when never. */
  readonly expiresAt: number | undefined;
  /** Whether it was delivered from this queue before. */
  redelivered: boolean;
}

/**
 * Checks an outgoing message as the AMQP client and broker would and stores an independent copy of it:
 * the publisher may reuse or change its buffer and headers once `publish` returns.
 */
export function storedMessage(message: unknown): StoredMessage {
  const where = 'publish';
  if (typeof message !== 'object' || message === null) {
    throw new InvalidArgumentError(`${where}: the message must be an object, got ${describeValue(message)}`);
  }
  assertKnownOptions(message, OUTGOING_MESSAGE_KEYS, where);
  const { exchange, routingKey, content, properties } = message as Record<string, unknown>;
  assertShortString(exchange, 'exchange', where);
  assertShortString(routingKey, 'routingKey', where);
  if (!(content instanceof Uint8Array)) {
    throw new InvalidArgumentError(`${where}: content must be a Buffer, got ${describeValue(content)}`);
  }
  const stored = storedProperties(properties, where);
  return {
    exchange: exchange as string,
    routingKey: routingKey as string,
    content: Buffer.from(content),
    properties: stored,
    ttlMs: stored.expiration === undefined ? undefined : expirationMs(stored.expiration, where),
    deaths: [],
    firstDeath: undefined,
  };
}
