/**
 * Typed headers: a header table in which every value keeps its AMQP field type. A value whose type
 * amqplib's encoder would guess anyway stays plain (a string, a boolean, a small signed integer, a
 * `Buffer`, `null`, arrays and tables of these); any other is amqplib's typed form `{ '!': type, value }`,
 * e.g. `{ '!': 'uint16', value: 300 }`, `{ '!': 'timestamp', value: 1700000000 }`,
 * `{ '!': 'int64', value: 2n ** 62n }`. amqplib writes such a table back byte for byte, so repeats, dead
 * letters and replays are made from typed headers; handlers see plain ones (`plainHeaders`).
 */
import { setOwn } from '../internal/set-own.js';

/**
 * How deep a header table may be nested (tables and arrays, the top-level table not counted). Deeper
 * headers are refused: on publish with an `InvalidArgumentError`, on consume as `invalid-content`.
 */
export const MAX_HEADER_DEPTH = 64;

/** amqplib's typed form of a field value. */
export interface TypedValue {
  readonly '!': string;
  readonly value: unknown;
}

const NUMBER_TYPES = new Set([
  'byte',
  'int8',
  'unsignedbyte',
  'uint8',
  'short',
  'int16',
  'unsignedshort',
  'uint16',
  'int',
  'int32',
  'unsignedint',
  'uint32',
  'long',
  'int64',
  'float',
  'double',
  'float64',
]);

/** Whether a value is amqplib's typed form `{ '!': type, value }`. */
export function isTypedValue(value: unknown): value is TypedValue {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, '!');
}

/**
 * Typed headers as a handler sees them, as amqplib decodes the same bytes: numbers of every width as
 * numbers (a 64-bit integer beyond 2^53 loses precision), a timestamp as a `Date`, a decimal as amqplib's
 * `{ '!': 'decimal', value: { places, digits } }`, a byte array as a `Buffer`, void as `null`.
 */
export function plainHeaders(typed: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return plainTable(typed, 0);
}

function plainTable(table: object, depth: number): Record<string, unknown> {
  const plain: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(table)) {
    setOwn(plain, key, plainValue(value, depth + 1));
  }
  return plain;
}

function plainValue(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null || Buffer.isBuffer(value) || value instanceof Date)
    return value;
  // Deeper than headers may be: left as it is (such headers are refused before anyone reads them).
  if (depth > MAX_HEADER_DEPTH) return value;
  if (Array.isArray(value)) return value.map((item: unknown) => plainValue(item, depth + 1));
  if (!isTypedValue(value)) return plainTable(value, depth);
  const type = value['!'];
  const inner = value.value;
  if (NUMBER_TYPES.has(type)) return Number(inner);
  switch (type) {
    case 'timestamp':
      return new Date(Number(inner) * 1000);
    case 'object':
      // A table with a '!' key of its own, written as a table: its keys are data, not a type.
      return typeof inner === 'object' && inner !== null && !Array.isArray(inner) && !Buffer.isBuffer(inner)
        ? plainTable(inner, depth)
        : plainValue(inner, depth);
    case 'string':
    case 'boolean':
      return inner;
    default:
      return value; // a decimal, as amqplib decodes it
  }
}
