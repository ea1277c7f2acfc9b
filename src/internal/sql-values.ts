// What a column value may come back as through a SqlUnitOfWork (see its contract), made one type.
// Each driver and ORM gives its own: a pg count is text, a mysql2 one a number, a mariadb one a bigint;
// a BLOB is a Buffer or a Uint8Array; a MySQL DATETIME read as text has no time zone.

/** A binary column's value as a `Buffer` (without copying a `Buffer` or a `Uint8Array`'s bytes). */
export function binaryValue(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError(`expected a binary column value (Buffer or Uint8Array), got ${typeof value}`);
}

/**
 * A time column's value as a `Date`. Text without a zone (a MySQL `DATETIME` read as text) is taken
 * as UTC, the zone tidings writes its times in.
 */
export function dateValue(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'string') {
    let text = value.trim().replace(' ', 'T');
    // "+00" (PostgreSQL's text form of a timestamptz) is not ISO 8601; "+00:00" is.
    text = text.replace(/([+-]\d\d)$/, '$1:00');
    if (!/(Z|[+-]\d\d:?\d\d)$/i.test(text)) text += 'Z';
    const date = new Date(text);
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new TypeError(`expected a time column value (Date or text), got ${JSON.stringify(value)}`);
}

/** An integer column's value (a count, a bigint column within 2^53) as a `number`. */
export function integerValue(value: unknown): number {
  const number = typeof value === 'bigint' || typeof value === 'string' ? Number(value) : value;
  if (typeof number === 'number' && Number.isSafeInteger(number)) return number;
  throw new TypeError(`expected an integer column value, got ${typeof value} ${String(value)}`);
}

/** A JSON column's value, parsed: some drivers parse JSON columns, others give their text. */
export function jsonValue(value: unknown): unknown {
  return typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
}
