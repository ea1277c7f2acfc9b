import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { describeValue } from '../../internal/options.js';

/**
 * Lower-case letters, digits and underscores, not starting with a digit: a name that means the same on
 * every server whatever `lower_case_table_names` says, that needs no quoting at the `mysql` prompt, and
 * that cannot smuggle anything into SQL.
 */
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** MySQL and MariaDB refuse longer table names. */
export const MAX_IDENTIFIER_LENGTH = 64;

/**
 * A user-supplied table name, or `fallback` when it is not given. Throws an `InvalidArgumentError`
 * naming the option (`name`) when it is not a plain identifier of at most `maxLength` characters
 * (shorter than 64 when other names are derived from it by adding a suffix).
 */
export function mysqlIdentifier(value: unknown, fallback: string, name: string, maxLength: number): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !IDENTIFIER.test(value) || value.length > maxLength) {
    throw new InvalidArgumentError(
      `${name} must be 1 to ${maxLength} lower-case letters, digits and underscores, not starting with a ` +
        `digit, got ${describeValue(value)}`,
    );
  }
  return value;
}

/** Quotes an identifier (the validation already excludes backticks; this is the second line of defence). */
export function quoteIdentifier(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}
