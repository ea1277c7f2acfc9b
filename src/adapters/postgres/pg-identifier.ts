import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { describeValue } from '../../internal/options.js';

/**
 * Lower-case letters, digits and underscores, not starting with a digit: a name that means the same
 * quoted or not, so `psql` users can type it bare, and that cannot smuggle anything into SQL.
 */
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** Where the adapters' tables go unless told otherwise: PostgreSQL's own default schema. */
export const DEFAULT_PG_SCHEMA = 'public';

/** PostgreSQL silently truncates longer names (NAMEDATALEN - 1), which could make two names collide. */
export const MAX_IDENTIFIER_LENGTH = 63;

/**
 * A user-supplied SQL name (schema, table, channel), or `fallback` when it is not given. Throws an
 * `InvalidArgumentError` naming the option (`name`) when it is not a plain identifier of at most
 * `maxLength` characters (shorter than 63 when other names are derived from it by adding a suffix).
 */
export function pgIdentifier(value: unknown, fallback: string, name: string, maxLength: number): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !IDENTIFIER.test(value) || value.length > maxLength) {
    throw new InvalidArgumentError(
      `${name} must be 1 to ${maxLength} lower-case letters, digits and underscores, not starting with a ` +
        `digit, got ${describeValue(value)}`,
    );
  }
  return value;
}

/** Quotes an identifier (the validation already excludes quotes; this is the second line of defence). */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Quotes a string literal (standard_conforming_strings, on by default since PostgreSQL 9.1). */
export function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
