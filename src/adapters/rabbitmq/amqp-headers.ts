import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { setOwn } from '../../internal/set-own.js';
import { isTypedValue, MAX_HEADER_DEPTH } from '../../messaging/typed-headers.js';

/**
 * amqplib decodes AMQP timestamps inside header tables as `{ '!': 'timestamp', value: seconds }`.
 * Deliveries expose them as `Date`s, like the memory transport, so `x-death[].time` reads the same on
 * both. Headers with no table, array or typed value in them (the common case) are returned as they are.
 */
export function normalizeHeaders(headers: Record<string, unknown> | undefined): Record<string, unknown> {
  if (headers === undefined) return {};
  if (!hasStructuredValue(headers)) return headers;
  const normalized: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(headers)) normalized[key] = normalizeValue(value, 1);
  return normalized;
}

function hasStructuredValue(headers: Record<string, unknown>): boolean {
  for (const key in headers) {
    const value = headers[key];
    if (typeof value === 'object' && value !== null && !Buffer.isBuffer(value)) return true;
  }
  return false;
}

function normalizeValue(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null || Buffer.isBuffer(value) || value instanceof Date)
    return value;
  // Deeper than headers may be: left as amqplib decoded it (the consumer refuses such headers).
  if (depth > MAX_HEADER_DEPTH) return value;
  if (Array.isArray(value)) return value.map((item: unknown) => normalizeValue(item, depth + 1));
  const typed = value as { '!'?: unknown; value?: unknown };
  if (typed['!'] === 'timestamp' && typeof typed.value === 'number') return new Date(typed.value * 1000);
  const normalized: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(value)) normalized[key] = normalizeValue(entry, depth + 1);
  return normalized;
}

/**
 * Headers as amqplib is to encode them: a `Date` (which amqplib would write as an empty table) becomes an
 * AMQP timestamp in whole seconds, as a delivery reads it back. Headers nested more than
 * `MAX_HEADER_DEPTH` deep are refused, as the memory transport refuses them. Without a `Date` anywhere,
 * the same object is returned.
 */
export function outgoingHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  return needsRewrite(headers, 0) ? (rewriteTable(headers) as Record<string, unknown>) : headers;
}

/** Whether a table holds a `Date` anywhere; scans all of it, so that depth is always checked. */
function needsRewrite(value: object, depth: number): boolean {
  if (depth > MAX_HEADER_DEPTH) {
    throw new InvalidArgumentError(
      `publish: the headers are nested more than ${MAX_HEADER_DEPTH} deep (a cycle?)`,
    );
  }
  let found = false;
  for (const key in value) {
    const entry = (value as Record<string, unknown>)[key];
    if (typeof entry !== 'object' || entry === null || Buffer.isBuffer(entry)) continue;
    if (entry instanceof Date) found = true;
    else if (!isTypedValue(entry)) found = needsRewrite(entry, depth + 1) || found;
    else if (entry['!'] === 'object' && typeof entry.value === 'object' && entry.value !== null)
      found = needsRewrite(entry.value, depth + 1) || found;
  }
  return found;
}

function rewriteTable(table: object): object {
  if (Array.isArray(table)) return table.map(rewriteValue);
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(table)) {
    setOwn(copy, key, rewriteValue(value));
  }
  return copy;
}

function rewriteValue(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Buffer.isBuffer(value)) return value;
  if (value instanceof Date) return { '!': 'timestamp', value: Math.floor(value.getTime() / 1000) };
  if (isTypedValue(value)) {
    return value['!'] === 'object' && typeof value.value === 'object' && value.value !== null
      ? { '!': 'object', value: rewriteTable(value.value) }
      : value;
  }
  return rewriteTable(value);
}
