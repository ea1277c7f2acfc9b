import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { describeValue } from '../../internal/options.js';
import type { ClaimedRow } from '../../messaging/outbox/outbox.js';

// The checks PgOutbox makes of its relay-side arguments before any SQL runs: a bad owner, token or date
// is a clear error naming the argument, never a confusing one from PostgreSQL.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A bigint as text: what `claim` hands out as `leaseToken`. */
const TOKEN = /^[0-9]{1,19}$/;
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

export function assertLease(
  row: unknown,
  where: string,
): asserts row is Pick<ClaimedRow, 'id' | 'leaseToken'> {
  const { id, leaseToken } = (row ?? {}) as { id?: unknown; leaseToken?: unknown };
  if (typeof id !== 'string' || !UUID.test(id)) {
    throw new InvalidArgumentError(`${where}.id must be a UUID, got ${describeValue(id)}`);
  }
  if (typeof leaseToken !== 'string' || !TOKEN.test(leaseToken)) {
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
