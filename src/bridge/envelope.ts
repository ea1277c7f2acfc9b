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

export interface EncodeOptions {
  appId?: string | undefined;
  eventName?: string | undefined;
  messageId?: string | undefined;
  correlationId?: string | undefined;
  headers?: Record<string, unknown> | undefined;
  /** Per-message TTL in milliseconds. */
  expirationMs?: number | undefined;
}

export interface EncodedMessage {
  content: Buffer;
  properties: MessageProperties & { messageId: string; headers: Record<string, unknown> };
}

export function encodeMessage(payload: unknown, options: EncodeOptions = {}): EncodedMessage {
  const json = JSON.stringify(payload);
  if (json === undefined) throw new InvalidContentError('The payload cannot be serialized to JSON');
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
  /** Deliveries to a handler before this one, as counted in the header (0 when absent). */
  headerAttempt: number;
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
  const messageId =
    nonEmptyString(delivery.properties.messageId) ??
    (typeof fromBody === 'string' || typeof fromBody === 'number' ? String(fromBody) : undefined) ??
    `sha256:${createHash('sha256').update(delivery.content).digest('hex').slice(0, 32)}`;
  const attempt = Number(headers[HEADERS.attempt] ?? 0);
  return {
    messageId,
    headerAttempt: Number.isSafeInteger(attempt) && attempt >= 0 ? attempt : 0,
    exchange: nonEmptyString(headers[HEADERS.originalExchange]) ?? delivery.exchange,
    routingKey: nonEmptyString(headers[HEADERS.originalRoutingKey]) ?? delivery.routingKey,
  };
}

/**
 * Parses the body as JSON. Throws `InvalidContentError` for a wrong content type, an oversized, empty
 * or non-UTF-8 body, malformed JSON, or a `__proto__` key anywhere (a prototype-pollution attempt).
 */
export function decodeBody(delivery: Delivery, limits: DecodeLimits): unknown {
  const contentType = delivery.properties.contentType;
  if (contentType !== undefined && contentType !== '' && !/^(application|text)\/json\b/i.test(contentType)) {
    throw new InvalidContentError(`Unsupported content type "${contentType}" (expected ${CONTENT_TYPE})`);
  }
  const { content } = delivery;
  if (content.length > limits.maxContentBytes) {
    throw new InvalidContentError(
      `The body has ${content.length} bytes; the limit is ${limits.maxContentBytes}`,
    );
  }
  if (content.length === 0) throw new InvalidContentError('The body is empty');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(content);
  } catch {
    throw new InvalidContentError('The body is not valid UTF-8');
  }
  try {
    return JSON.parse(text, (key, value: unknown) => {
      if (key === '__proto__') throw new InvalidContentError('The payload has a "__proto__" key');
      return value;
    });
  } catch (error) {
    if (error instanceof InvalidContentError) throw error;
    throw new InvalidContentError(`The body is not valid JSON: ${(error as Error).message}`);
  }
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
