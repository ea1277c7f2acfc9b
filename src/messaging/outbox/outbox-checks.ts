import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { describeValue } from '../../internal/options.js';
import type { ClaimedRow } from './outbox.js';

// The checks the SQL outboxes (PgOutbox, MysqlOutbox) make of their arguments before any SQL runs: a bad
// owner, token or date is a clear error naming the argument, never a confusing one from the server.
// Dialect-neutral; each adapter adds what its database needs on top.

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Owners name a relay instance (host, pid, random suffix…) for operators: short and printable. */
const MAX_OWNER_LENGTH = 200;

export function assertOwner(owner: unknown, where: string): asserts owner is string {
  if (
    typeof owner !== 'string' ||
    owner.length === 0 ||
    owner.length > MAX_OWNER_LENGTH ||
    owner.includes('\0')
  ) {
    throw new InvalidArgumentError(
      `${where}: owner must be a non-empty string of at most ${MAX_OWNER_LENGTH} characters, got ${describeValue(owner)}`,
    );
  }
}

/**
 * Checks a row's lease: a UUID id and a `leaseToken` as `claim` hands it out, an unsigned integer as
 * text of at most `tokenDigits` digits (19 for a PostgreSQL bigint, 20 for a MySQL unsigned one).
 */
export function assertLease(
  row: unknown,
  where: string,
  tokenDigits: number,
): asserts row is Pick<ClaimedRow, 'id' | 'leaseToken'> {
  const { id, leaseToken } = (row ?? {}) as { id?: unknown; leaseToken?: unknown };
  if (typeof id !== 'string' || !UUID.test(id)) {
    throw new InvalidArgumentError(`${where}.id must be a UUID, got ${describeValue(id)}`);
  }
  if (typeof leaseToken !== 'string' || leaseToken.length > tokenDigits || !/^[0-9]+$/.test(leaseToken)) {
    throw new InvalidArgumentError(
      `${where}.leaseToken must be the token claim() returned, got ${describeValue(leaseToken)}`,
    );
  }
}

export function assertDate(value: unknown, where: string): asserts value is Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new InvalidArgumentError(`${where} must be a valid Date, got ${describeValue(value)}`);
  }
}

/** Cuts at a code point boundary, so a surrogate pair is never split into invalid UTF-8. */
export function truncate(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  return Array.from(text).slice(0, maxLength).join('');
}

/** `Array.isArray` without narrowing a typed array to `any[]`. */
export function isArray(value: unknown): boolean {
  return Array.isArray(value);
}

export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** Serializes for a JSON or text column, turning what JSON cannot hold into a clear error up front. */
export function toJson(value: unknown, where: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InvalidArgumentError(`${where} cannot be serialized to JSON: ${reason}`, { cause: error });
  }
  if (json === undefined) {
    throw new InvalidArgumentError(`${where} cannot be serialized to JSON, got ${describeValue(value)}`);
  }
  return json;
}
