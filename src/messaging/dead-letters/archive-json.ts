/**
 * AMQP header tables and message properties as JSON that PostgreSQL's `jsonb` keeps without loss, so an
 * archived dead letter is replayed with the very values it arrived with.
 *
 * Strings, finite numbers, booleans, null, arrays and tables stay as they are, readable and queryable in
 * SQL (`headers->>'x-tidings-dead-reason'`). What JSON or `jsonb` cannot hold becomes an object with one
 * `$`-key:
 *
 * | value                                   | stored as                                   |
 * | --------------------------------------- | ------------------------------------------- |
 * | a byte array (`Buffer`, `Uint8Array`)   | `{ "$bytes": "<base64>" }`                   |
 * | a timestamp (`Date`)                    | `{ "$date": "<ISO 8601>" }`                  |
 * | `NaN`, `Infinity`, `-Infinity`, `-0`    | `{ "$number": "NaN" }` …                     |
 * | a `bigint`                              | `{ "$bigint": "<decimal>" }`                 |
 * | a string holding NUL (`jsonb` refuses `\u0000`) | `{ "$string": "<base64 of its UTF-8>" }` |
 * | a table that could be mistaken for one of these, or with NUL in a key | `{ "$table": [[key, value], …] }` |
 *
 * `jsonb` does not keep the order of keys; AMQP tables are maps, so nothing depends on it.
 */
import { setOwn } from '../../internal/set-own.js';

const TAGS = new Set(['$bytes', '$date', '$number', '$bigint', '$string', '$table']);

/** A JSON value, as `JSON.parse` returns it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Encodes a header table, a property set or any value in it. `undefined`, functions and symbols are dropped, as `JSON.stringify` drops them. */
export function toArchiveJson(value: unknown): JsonValue {
  return encode(value) ?? null;
}

/** The inverse of `toArchiveJson`. */
export function fromArchiveJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromArchiveJson);
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [tag, payload] = entries[0]!;
    if (TAGS.has(tag)) return decodeTagged(tag, payload);
  }
  const table: Record<string, unknown> = {};
  for (const [key, entry] of entries) setOwn(table, key, fromArchiveJson(entry));
  return table;
}

function encode(value: unknown): JsonValue | undefined {
  switch (typeof value) {
    case 'string':
      return value.includes('\0') ? { $string: Buffer.from(value, 'utf8').toString('base64') } : value;
    case 'number':
      if (Number.isNaN(value) || !Number.isFinite(value) || Object.is(value, -0))
        return { $number: Object.is(value, -0) ? '-0' : String(value) };
      return value;
    case 'boolean':
      return value;
    case 'bigint':
      return { $bigint: value.toString() };
    case 'object':
      break;
    default:
      return undefined; // undefined, function, symbol
  }
  if (value === null) return null;
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('base64') };
  if (value instanceof Date) {
    return { $date: Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString() };
  }
  if (Array.isArray(value)) return value.map((entry) => encode(entry) ?? null);
  const entries = Object.entries(value);
  const ambiguous =
    (entries.length === 1 && TAGS.has(entries[0]![0])) || entries.some(([key]) => key.includes('\0'));
  if (ambiguous) {
    const pairs: JsonValue[] = [];
    for (const [key, entry] of entries) {
      const encoded = encode(entry);
      if (encoded !== undefined) pairs.push([encode(key)!, encoded]);
    }
    return { $table: pairs };
  }
  const table: { [key: string]: JsonValue } = {};
  for (const [key, entry] of entries) {
    const encoded = encode(entry);
    if (encoded !== undefined) setOwn(table, key, encoded);
  }
  return table;
}

function decodeTagged(tag: string, payload: unknown): unknown {
  switch (tag) {
    case '$bytes':
      return Buffer.from(String(payload), 'base64');
    case '$date':
      return new Date(String(payload));
    case '$number':
      return payload === '-0' ? -0 : Number(payload);
    case '$bigint':
      return BigInt(String(payload));
    case '$string':
      return Buffer.from(String(payload), 'base64').toString('utf8');
    default: {
      const table: Record<string, unknown> = {};
      for (const pair of Array.isArray(payload) ? payload : []) {
        const [key, entry] = pair as [unknown, unknown];
        setOwn(table, String(fromArchiveJson(key)), fromArchiveJson(entry));
      }
      return table;
    }
  }
}

/** JSON text with the keys of every object sorted: equal values give equal text, whatever their key order. */
export function canonicalJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key]!)}`).join(',')}}`;
}
