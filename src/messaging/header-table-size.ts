import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { MAX_HEADER_DEPTH } from './typed-headers.js';

/**
 * The largest header table a message can carry: amqplib encodes a message's headers into a scratch
 * buffer of 64 KiB and refuses anything larger (RabbitMQ itself would take up to its frame size). The
 * memory transport keeps the same limit, so a message that one transport refuses the other refuses too.
 */
export const MAX_HEADER_TABLE_BYTES = 65_536;

const MAX_DEPTH = MAX_HEADER_DEPTH;

/**
 * The size of a header table as AMQP 0-9-1 field-table encoding (amqplib's flavour) would write it,
 * length prefix included: keys are short strings, values carry a one-byte type tag, integers take the
 * smallest signed width that holds them, other numbers are doubles. Values amqplib cannot encode count 0
 * here (publishing them fails on its own).
 */
export function headerTableBytes(
  headers: Readonly<Record<string, unknown>>,
  /** Top-level keys to leave out of the count. */
  except?: ReadonlySet<string>,
): number {
  return tableBytes(headers, 0, except);
}

function tableBytes(table: object, depth: number, except?: ReadonlySet<string>): number {
  if (depth > MAX_DEPTH) throw new InvalidArgumentError('The headers are nested too deeply (a cycle?)');
  let size = 4;
  for (const [key, value] of Object.entries(table)) {
    if (value === undefined || except?.has(key)) continue;
    size += 1 + Buffer.byteLength(key) + valueBytes(value, depth + 1);
  }
  return size;
}

function valueBytes(value: unknown, depth: number): number {
  switch (typeof value) {
    case 'string':
      return 5 + Buffer.byteLength(value);
    case 'boolean':
      return 2;
    case 'number':
      return 1 + numberBytes(value);
    case 'object': {
      if (value === null) return 1;
      if (Array.isArray(value)) {
        if (depth > MAX_DEPTH) throw new InvalidArgumentError('The headers are nested too deeply (a cycle?)');
        return value.reduce((sum: number, item: unknown) => sum + valueBytes(item, depth + 1), 5);
      }
      if (value instanceof Uint8Array) return 5 + value.byteLength;
      // The AMQP transport sends a Date as a timestamp (seconds).
      if (value instanceof Date) return 9;
      if (Object.hasOwn(value, '!')) return typedBytes(value as { '!': unknown; value?: unknown }, depth);
      return 1 + tableBytes(value, depth);
    }
    default:
      return 0;
  }
}

/** amqplib: a double when fractional (or too large for a signed 64-bit integer), else the smallest int. */
function numberBytes(value: number): number {
  const floating = value >= 2 ** 63 || (Math.abs(value) < 2 ** 50 && Math.floor(value) !== value);
  if (floating) return 8;
  if (value >= -128 && value < 128) return 1;
  if (value >= -32_768 && value < 32_768) return 2;
  if (value >= -(2 ** 31) && value < 2 ** 31) return 4;
  return 8;
}

/** amqplib's `{ '!': type, value }` escape hatch (timestamps, explicit widths), type tag included. */
function typedBytes(typed: { '!': unknown; value?: unknown }, depth: number): number {
  switch (typed['!']) {
    case 'object':
    case 'string':
    case 'boolean':
      // Written as the plain value would be, but never taken for a typed one (a table with a '!' key).
      return typeof typed.value === 'object' && typed.value !== null && !Array.isArray(typed.value)
        ? 1 + tableBytes(typed.value, depth)
        : valueBytes(typed.value, depth);
    default:
      return 1 + scalarBytes(typed['!']);
  }
}

function scalarBytes(type: unknown): number {
  switch (type) {
    case 'byte':
    case 'int8':
    case 'unsignedbyte':
    case 'uint8':
      return 1;
    case 'short':
    case 'int16':
    case 'unsignedshort':
    case 'uint16':
      return 2;
    case 'int':
    case 'int32':
    case 'unsignedint':
    case 'uint32':
    case 'float':
      return 4;
    case 'decimal':
      return 5;
    case 'long':
    case 'int64':
    case 'double':
    case 'float64':
    case 'timestamp':
      return 8;
    default:
      return 0;
  }
}
