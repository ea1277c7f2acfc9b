import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { describeValue, integerOption } from '../../internal/options.js';
import type { ClaimedRow } from '../../messaging/outbox/outbox.js';
import type { LeaseGroup } from './mysql-outbox-sql.js';

// The checks MysqlOutbox makes of its relay-side arguments before any SQL runs: a bad owner, token,
// delay or date is a clear error naming the argument, never a confusing one from the server. (The same
// as PgOutbox's, which an adapter folder may not import.)

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** An unsigned bigint as text: what `claim` hands out as `leaseToken`. */
const TOKEN = /^[0-9]{1,20}$/;
/** Owners name a relay instance (host, pid, random suffix…) for operators: short and printable. */
const MAX_OWNER_LENGTH = 200;
/**
 * Leases and retry delays past this are refused: a time beyond the year 9999 is NULL in MySQL, which for
 * a lease would mean "not held". A hundred years, in milliseconds.
 */
export const MAX_DELAY_MS = 100 * 365 * 24 * 3600 * 1000;

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

/** Checks `rows` (an array of leases) and groups their ids by token; the ids lower-cased, as stored. */
export function leaseGroups(rows: unknown, where: string): LeaseGroup[] {
  if (!isArray(rows)) {
    throw new InvalidArgumentError(`${where}: expected an array of rows, got ${describeValue(rows)}`);
  }
  const groups = new Map<string, string[]>();
  for (const [index, row] of (rows as unknown[]).entries()) {
    assertLease(row, `${where}: rows[${index}]`);
    const ids = groups.get(row.leaseToken) ?? [];
    ids.push(row.id.toLowerCase());
    groups.set(row.leaseToken, ids);
  }
  return [...groups].map(([token, ids]) => ({ token, ids }));
}

export function delayOption(value: unknown, name: string, min: number): number {
  return integerOption(value, 0, name, min, MAX_DELAY_MS);
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
