import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { describeValue } from '../../internal/options.js';
import type { ArchivedStatus } from '../../messaging/dead-letters/archived-dead-letter.js';
import type { ArchivedFilter } from './pg-dead-letter-archive-options.js';

const ID = /^[1-9][0-9]{0,18}$/;
/** The largest bigint: ids are `GENERATED ALWAYS AS IDENTITY` bigints. */
const MAX_ID = 2n ** 63n - 1n;

/**
 * The parameters of `SELECTION` (pg-dead-letter-archive-sql.ts), each checked: $1 app, $2 ids, $3 queue,
 * $4 reason, $5 status, $6 after id, $7 limit.
 */
export function archiveSelection(
  appId: string,
  filter: ArchivedFilter,
  status: ArchivedStatus | null,
  afterId: string,
  limit: number | null = null,
): unknown[] {
  const { ids, queue, reason } = filter;
  if (ids !== undefined) {
    if (!Array.isArray(ids)) {
      throw new InvalidArgumentError(`ids must be an array of archive ids, got ${describeValue(ids)}`);
    }
    ids.forEach((id, index) => archiveId(id, `ids[${index}]`));
  }
  for (const [name, value] of [
    ['queue', queue],
    ['reason', reason],
  ] as const) {
    if (value !== undefined && typeof value !== 'string') {
      throw new InvalidArgumentError(`${name} must be a string, got ${describeValue(value)}`);
    }
  }
  return [appId, ids ?? null, queue ?? null, reason ?? null, status, afterId, limit];
}

/** Checks an archive id (a positive bigint, as a string) and returns it. */
export function archiveId(value: unknown, where: string): string {
  if (typeof value !== 'string' || !ID.test(value) || BigInt(value) > MAX_ID) {
    throw new InvalidArgumentError(
      `${where} must be an archive id (a positive integer as a string), got ${describeValue(value)}`,
    );
  }
  return value;
}
