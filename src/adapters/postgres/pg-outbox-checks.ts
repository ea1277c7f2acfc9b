import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { assertLease as assertAnyLease } from '../../messaging/outbox/outbox-checks.js';
import type { ClaimedRow } from '../../messaging/outbox/outbox.js';

// What PgOutbox checks on top of the dialect-neutral checks of messaging/outbox/outbox-checks.ts.

export {
  asError,
  assertDate,
  assertOwner,
  isArray,
  toJson,
  truncate,
  UUID,
} from '../../messaging/outbox/outbox-checks.js';

/** Tokens come from a bigint sequence: up to 19 digits. */
const TOKEN_DIGITS = 19;

export function assertLease(
  row: unknown,
  where: string,
): asserts row is Pick<ClaimedRow, 'id' | 'leaseToken'> {
  assertAnyLease(row, where, TOKEN_DIGITS);
}

/** `\u0000` escaped by JSON.stringify, not preceded by an escaped backslash. */
const ESCAPED_NUL = /(?<!\\)(?:\\\\)*\\u0000/;

/** JSON for a jsonb column: jsonb cannot store a NUL character, refused up front with a clear error. */
export function assertJsonb(json: string, where: string): string {
  if (ESCAPED_NUL.test(json)) {
    throw new InvalidArgumentError(`${where} contains a NUL character (\\u0000), which jsonb cannot store`);
  }
  return json;
}
