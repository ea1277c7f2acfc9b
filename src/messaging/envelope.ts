import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { InvalidContentError } from '../errors/invalid-content-error.js';
import { uuidv7 } from '../internal/uuid-v7.js';
import { HEADERS } from './names.js';
import type { Delivery, MessageProperties } from './transport.js';

/**
 * The wire format, in one place (documented in the README under "Wire format").
 *
 * Body: the event's JSON payload, UTF-8. Properties: `contentType: application/json`,
 * `deliveryMode: 2` (persistent), `messageId` (UUIDv7 unless given), `appId`, `type` (event name),
 * `timestamp` (seconds), `correlationId` when known, and headers (`x-tidings-attempt`,
 * `x-tidings-origin`, plus the caller's).
 *
 * Consumers also accept what the seed PHP library published: no content type (read as JSON), the
 * message id in the body's `event_id` when the property is missing, and any application headers.
 */
export const CONTENT_TYPE = 'application/json';
/** `application/json`, `text/json`, `application/<anything>+json`, with parameters or not. */
const JSON_MEDIA_TYPE = /^\s*(?:(?:application|text)\/json|application\/[\w.!#$&^-]+\+json)\s*(?:;|$)/i;

/** @inline */
export interface EncodeOptions {
  appId?: string | undefined;
  eventName?: string | undefined;
  messageId?: string | undefined;
  correlationId?: string | undefined;
  headers?: Record<string, unknown> | undefined;
  /** Per-message TTL in milliseconds. */
  expirationMs?: number | undefined;
}

/** @inline */
export interface EncodedMessage {
  content: Buffer;
  properties: MessageProperties & { messageId: string; headers: Record<string, unknown> };
}

export function encodeMessage(payload: unknown, options: EncodeOptions = {}): EncodedMessage {
  let json: string | undefined;
  try {
    json = JSON.stringify(payload);
  } catch (error) {
    // A bigint, a cycle, a toJSON() that throws: a typed error naming the cause, not a bare TypeError.
    const reason = error instanceof Error ? error.message : String(error);
    throw new InvalidContentError(`The payload cannot be serialized to JSON: ${reason}`, { cause: error });
  }
  if (json === undefined) throw new InvalidContentError('The payload cannot be serialized to JSON');
  // Refused here rather than by every consumer, which would dead-letter it as invalid content.
  if (nestedTooDeeply(json)) {
    throw new InvalidContentError(`The payload is nested more than ${MAX_JSON_DEPTH} levels deep`);
  }
  const headers: Record<string, unknown> = { ...options.headers };
  if (options.appId !== undefined && headers[HEADERS.origin] === undefined)
    headers[HEADERS.origin] = options.appId;
  return {
    content: Buffer.from(json, 'utf8'),
    properties: {
      contentType: CONTENT_TYPE,
      deliveryMode: 2,
      messageId: options.messageId ?? uuidv7(),
      appId: options.appId,
      type: options.eventName,
      timestamp: Math.floor(Date.now() / 1000),
      correlationId: options.correlationId,
      expiration: options.expirationMs === undefined ? undefined : String(options.expirationMs),
      headers,
    },
  };
}

export interface DecodeLimits {
  /** Larger bodies are invalid content. */
  maxContentBytes: number;
}

/** What a consumer knows of a message before deciding what it is. */
export interface MessageIdentity {
  /** The `messageId` property, else the body's `event_id`, else a hash of the body. */
  messageId: string;
  /**
   * Where `messageId` came from. A `body-hash` is no id the publisher gave: the consumer refuses such a
   * message (it cannot tell a redelivery from a second message with the same body), but its dead-letter
   * copy carries the hash as its id.
   */
  idFrom: 'property' | 'event_id' | 'body-hash';
  /** Deliveries to a handler before this one, as counted in the header (0 when absent). */
  headerAttempt: number;
  /** Replays from the dead letters so far (`x-tidings-replays`); each replay starts a fresh count. */
  replays: number;
  /** Where the message was first published (not the wait queue a repeat came back through). */
  exchange: string;
  routingKey: string;
}

export function identify(delivery: Delivery, payload?: unknown): MessageIdentity {
  const headers = delivery.properties.headers;
  const fromBody =
    typeof payload === 'object' && payload !== null
      ? (payload as { event_id?: unknown }).event_id
      : undefined;
  const property = nonEmptyString(delivery.properties.messageId);
  const eventId =
    typeof fromBody === 'string' || typeof fromBody === 'number'
      ? nonEmptyString(String(fromBody))
      : undefined;
  const idFrom = property !== undefined ? 'property' : eventId !== undefined ? 'event_id' : 'body-hash';
  const messageId =
    property ??
    eventId ??
    `sha256:${createHash('sha256').update(delivery.content).digest('hex').slice(0, 32)}`;
  const attempt = Number(headers[HEADERS.attempt] ?? 0);
  return {
    messageId,
    idFrom,
    headerAttempt: Number.isSafeInteger(attempt) && attempt >= 0 ? attempt : 0,
    replays: replaysOf(headers),
    exchange: shortString(headers[HEADERS.originalExchange]) ?? delivery.exchange,
    routingKey: shortString(headers[HEADERS.originalRoutingKey]) ?? delivery.routingKey,
  };
}

/** The replays a message's headers record: 0 when none (or not a count). */
export function replaysOf(headers: Readonly<Record<string, unknown>> | undefined): number {
  const replays = Number(headers?.[HEADERS.replays] ?? 0);
  return Number.isSafeInteger(replays) && replays > 0 ? replays : 0;
}

/**
 * Which repeat count a delivery belongs to: its message id, and after a replay the replay's own, so that
 * a count left behind by the previous life (the counter could not forget it) never carries over.
 */
export function repeatCounterId(identity: Pick<MessageIdentity, 'messageId' | 'replays'>): string {
  return identity.replays === 0 ? identity.messageId : `${identity.messageId}~replay-${identity.replays}`;
}

/**
 * Parses the body as JSON. Throws `InvalidContentError` for a wrong content type or encoding, an
 * oversized, empty or non-UTF-8 body, malformed JSON, or a prototype-pollution gadget anywhere: a
 * `__proto__` key, or a `constructor` key holding an object with a `prototype` key. Parsing them is
 * harmless, but a handler that deep-merges the payload the naive way would change `Object.prototype`
 * for the whole process.
 */
export function decodeBody(delivery: Delivery, limits: DecodeLimits): unknown {
  const { contentType, contentEncoding } = delivery.properties;
  // JSON, or a JSON-based media type (RFC 6839 `+json` suffix: application/cloudevents+json, …).
  if (contentType !== undefined && contentType !== '' && !JSON_MEDIA_TYPE.test(contentType)) {
    throw new InvalidContentError(`Unsupported content type "${contentType}" (expected ${CONTENT_TYPE})`);
  }
  // A compressed body would otherwise be reported as "not valid UTF-8", which says nothing useful.
  if (
    contentEncoding !== undefined &&
    contentEncoding !== '' &&
    !/^(utf-?8|identity)$/i.test(contentEncoding)
  ) {
    throw new InvalidContentError(
      `Unsupported content encoding "${contentEncoding}" (expected none: the body is UTF-8 JSON)`,
    );
  }
  const { content } = delivery;
  if (content.length > limits.maxContentBytes) {
    throw new InvalidContentError(
      `The body has ${content.length} bytes; the limit is ${limits.maxContentBytes}`,
    );
  }
  if (content.length === 0) throw new InvalidContentError('The body is empty');
  // Checked in C++ and decoded without a decoder object per message.
  if (!isUtf8(content)) throw new InvalidContentError('The body is not valid UTF-8');
  // A leading byte-order mark is skipped, as TextDecoder (and JSON.parse's callers) expect.
  const bom = content[0] === 0xef && content[1] === 0xbb && content[2] === 0xbf ? 3 : 0;
  const text = content.toString('utf8', bom);
  try {
    // The reviver that refuses pollution gadgets visits every value: only a text that could hold such a
    // key pays for it. A key is either written out (`__proto__`, `constructor`) or escaped (`\u…`).
    if (nestedTooDeeply(text)) throw new InvalidContentError('The body is nested too deeply to parse');
    return mayHoldGadgetKey(text) ? JSON.parse(text, refuseGadgets) : JSON.parse(text);
  } catch (error) {
    if (error instanceof InvalidContentError) throw error;
    // Valid JSON nested some thousands deep overflows the stack while it is walked: say that, not
    // "not valid JSON".
    if (error instanceof RangeError) throw new InvalidContentError('The body is nested too deeply to parse');
    throw new InvalidContentError(`The body is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * Arrays and objects nested deeper than this are refused: a handler that walks the payload recursively
 * (a deep merge, a validator) would overflow its stack on them, in the middle of its work.
 */
export const MAX_JSON_DEPTH = 1000;

/** Whether the JSON text nests more than `MAX_JSON_DEPTH` levels (brackets in strings do not count). */
function nestedTooDeeply(text: string): boolean {
  // Each level takes an opening bracket: a shorter text cannot be too deep, and most bodies are.
  if (text.length <= MAX_JSON_DEPTH) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

function mayHoldGadgetKey(text: string): boolean {
  return text.includes('__proto__') || text.includes('constructor') || text.includes('\\u');
}

function refuseGadgets(key: string, value: unknown): unknown {
  if (key === '__proto__') throw new InvalidContentError('The payload has a "__proto__" key');
  if (
    key === 'constructor' &&
    typeof value === 'object' &&
    value !== null &&
    Object.hasOwn(value, 'prototype')
  ) {
    throw new InvalidContentError('The payload has a "constructor" key holding a "prototype" key');
  }
  return value;
}

/** A non-empty string of at most 255 bytes (an AMQP short string, as exchange names and routing keys are). */
function shortString(value: unknown): string | undefined {
  const text = nonEmptyString(value);
  return text !== undefined && Buffer.byteLength(text) <= 255 ? text : undefined;
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
