// PostgreSQL array literals, built here rather than by the driver: a JS array parameter is bound by pg
// as such, but Knex expands one into a list of placeholders and Prisma types it by its elements. Text
// (`{"a","b"}`) passes through every driver and ORM unchanged, and the statement casts it
// (`$2::uuid[]`), so `PgOutbox` binds the same parameters whichever unit of work runs it. pg itself
// turns an array into the same text before sending it.

/** An array literal of text elements (`null` for SQL NULL), for a parameter cast to `<type>[]`. */
export function pgArray(values: readonly (string | number | null)[]): string {
  return `{${values.map(element).join(',')}}`;
}

/** An array literal of `bytea` elements, in bytea's hex input format (`\x…`). */
export function pgByteaArray(values: readonly Uint8Array[]): string {
  return pgArray(
    values.map(
      (value) => `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`,
    ),
  );
}

function element(value: string | number | null): string {
  if (value === null) return 'NULL';
  // Quoted, so that commas, braces, spaces and the word NULL stay data; backslash and quote escaped.
  // Most elements (ids, tokens) have neither: looking first is a fifth of the cost of two replaceAll.
  const text = String(value);
  if (!text.includes('\\') && !text.includes('"')) return `"${text}"`;
  return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}
