import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { describeValue, integerOption } from '../../internal/options.js';
import { assertLease as assertAnyLease, isArray } from '../../messaging/outbox/outbox-checks.js';
import type { ClaimedRow } from '../../messaging/outbox/outbox.js';
import type { LeaseGroup } from './mysql-outbox-sql.js';

// What MysqlOutbox checks on top of the dialect-neutral checks of messaging/outbox/outbox-checks.ts.

export {
  asError,
  assertDate,
  assertOwner,
  isArray,
  toJson,
  truncate,
  UUID,
} from '../../messaging/outbox/outbox-checks.js';

/** Tokens come from an unsigned bigint counter: up to 20 digits. */
const TOKEN_DIGITS = 20;
/**
 * Leases and retry delays past this are refused: a time beyond the year 9999 is NULL in MySQL, which for
 * a lease would mean "not held". A hundred years, in milliseconds.
 */
export const MAX_DELAY_MS = 100 * 365 * 24 * 3600 * 1000;

export function assertLease(
  row: unknown,
  where: string,
): asserts row is Pick<ClaimedRow, 'id' | 'leaseToken'> {
  assertAnyLease(row, where, TOKEN_DIGITS);
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
