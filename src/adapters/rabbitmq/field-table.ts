import { setOwn } from '../../internal/set-own.js';
import { MAX_HEADER_DEPTH } from '../../messaging/typed-headers.js';

/**
 * Decodes an AMQP 0-9-1 field table (RabbitMQ's flavour, the one amqplib and every client speak) into
 * typed headers: values that, handed back to amqplib's encoder, are written with the very type tag and
 * bytes they arrived with.
 *
 * amqplib decodes a table into plain values and re-encodes plain values by guessing a type (integers take
 * the smallest signed width, other numbers a double, a `Date` becomes an empty table). Typed headers keep
 * a value plain where that guess gives back its own type, and otherwise use amqplib's typed form
 * `{ '!': type, value }`: so common headers (strings, booleans, small signed integers, byte arrays) stay
 * plain, and a `u` (unsigned 16-bit) 300 becomes `{ '!': 'uint16', value: 300 }`.
 *
 * @param table the table's bytes, without its 4-byte length.
 * @throws RangeError when the table is nested more than `MAX_HEADER_DEPTH` deep, or malformed.
 */
export function decodeTypedTable(table: Buffer): Record<string, unknown> {
  return new FieldReader(table).table(table.length, 0);
}

class FieldReader {
  #offset = 0;

  constructor(private readonly bytes: Buffer) {}

  table(end: number, depth: number): Record<string, unknown> {
    const fields: Record<string, unknown> = {};
    while (this.#offset < end) {
      const keyLength = this.bytes.readUInt8(this.#offset);
      const key = this.bytes.toString('utf8', this.#offset + 1, this.#offset + 1 + keyLength);
      this.#offset += 1 + keyLength;
      setOwn(fields, key, this.value(depth + 1));
    }
    this.#expectEnd(end);
    return fields;
  }

  /** One value; `depth` is the value's own (a top-level header's is 1), as `headerTableBytes` counts it. */
  value(depth: number): unknown {
    const bytes = this.bytes;
    const tag = String.fromCharCode(bytes.readUInt8(this.#offset));
    const at = this.#offset + 1;
    switch (tag) {
      case 't':
        this.#offset = at + 1;
        return bytes.readUInt8(at) !== 0;
      case 'b':
        this.#offset = at + 1;
        return bytes.readInt8(at);
      case 'B':
        this.#offset = at + 1;
        return { '!': 'uint8', value: bytes.readUInt8(at) };
      case 's':
        this.#offset = at + 2;
        return signed(bytes.readInt16BE(at), 's', 'int16');
      case 'u':
        this.#offset = at + 2;
        return { '!': 'uint16', value: bytes.readUInt16BE(at) };
      case 'I':
        this.#offset = at + 4;
        return signed(bytes.readInt32BE(at), 'I', 'int32');
      case 'i':
        this.#offset = at + 4;
        return { '!': 'uint32', value: bytes.readUInt32BE(at) };
      case 'l': {
        this.#offset = at + 8;
        const long = bytes.readBigInt64BE(at);
        const value = Number(long);
        if (Number.isSafeInteger(value)) return signed(value, 'l', 'int64');
        return { '!': 'int64', value: long };
      }
      case 'f':
        this.#offset = at + 4;
        return { '!': 'float', value: bytes.readFloatBE(at) };
      case 'd': {
        this.#offset = at + 8;
        const value = bytes.readDoubleBE(at);
        return guessedTag(value) === 'd' && !Object.is(value, -0) ? value : { '!': 'double', value };
      }
      case 'D':
        this.#offset = at + 5;
        return { '!': 'decimal', value: { places: bytes.readUInt8(at), digits: bytes.readUInt32BE(at + 1) } };
      case 'T': {
        this.#offset = at + 8;
        const seconds = bytes.readBigUInt64BE(at);
        const value = Number(seconds);
        return { '!': 'timestamp', value: Number.isSafeInteger(value) ? value : seconds };
      }
      case 'S': {
        const length = bytes.readUInt32BE(at);
        this.#offset = at + 4 + length;
        this.#expectWithin(this.#offset);
        return bytes.toString('utf8', at + 4, this.#offset);
      }
      case 'x': {
        const length = bytes.readUInt32BE(at);
        this.#offset = at + 4 + length;
        this.#expectWithin(this.#offset);
        return Buffer.from(bytes.subarray(at + 4, this.#offset));
      }
      case 'V':
        this.#offset = at;
        return null;
      case 'A': {
        if (depth > MAX_HEADER_DEPTH) throw tooDeep();
        const end = at + 4 + bytes.readUInt32BE(at);
        this.#expectWithin(end);
        this.#offset = at + 4;
        const items: unknown[] = [];
        while (this.#offset < end) items.push(this.value(depth + 1));
        this.#expectEnd(end);
        return items;
      }
      case 'F': {
        if (depth > MAX_HEADER_DEPTH) throw tooDeep();
        const end = at + 4 + bytes.readUInt32BE(at);
        this.#expectWithin(end);
        this.#offset = at + 4;
        const table = this.table(end, depth);
        // amqplib would read a table's own '!' key as a type: the 'object' type writes it as a table.
        return Object.hasOwn(table, '!') ? { '!': 'object', value: table } : table;
      }
      default:
        throw new RangeError(`Unknown field type tag ${JSON.stringify(tag)} in a header table`);
    }
  }

  #expectWithin(end: number): void {
    if (end > this.bytes.length) throw new RangeError('A header table ends in the middle of a value');
  }

  #expectEnd(end: number): void {
    if (this.#offset !== end) throw new RangeError('A header table value overruns its table or array');
  }
}

/** A signed integer: plain when amqplib's guess gives back its width, else typed. */
function signed(value: number, tag: 's' | 'I' | 'l', type: 'int16' | 'int32' | 'int64'): unknown {
  return guessedTag(value) === tag ? value : { '!': type, value };
}

/**
 * The type tag amqplib's encoder picks for a plain number (its `encodeFieldValue`): a double when
 * fractional below 2^50 or from 2^63 on, else the smallest signed integer that holds it.
 */
export function guessedTag(value: number): 'd' | 'b' | 's' | 'I' | 'l' {
  if (value >= 2 ** 63 || (Math.abs(value) < 2 ** 50 && Math.floor(value) !== value)) return 'd';
  if (value >= -128 && value < 128) return 'b';
  if (value >= -32_768 && value < 32_768) return 's';
  if (value >= -(2 ** 31) && value < 2 ** 31) return 'I';
  return 'l';
}

function tooDeep(): RangeError {
  return new RangeError(`The headers are nested more than ${MAX_HEADER_DEPTH} deep`);
}
