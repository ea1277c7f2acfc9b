import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { describeValue } from '../../internal/options.js';
import type { ArchivedStatus } from './archived-dead-letter.js';
import type { ArchivedFilter } from './dead-letter-archive-options.js';

const ID = /^[1-9][0-9]{0,18}$/;
/** The largest signed 64-bit integer: archive ids are bigints on every database. */
const MAX_ID = 2n ** 63n - 1n;

/**
 * Which rows of the archive a statement applies to, every field checked: each store turns it into its
 * own SQL and parameters. A `null` criterion matches any row.
 */
export interface ArchiveSelection {
  readonly appId: string;
  /** Only these rows (an empty list matches none). */
  readonly ids: readonly string[] | null;
  readonly queue: string | null;
  readonly reason: string | null;
  readonly status: ArchivedStatus | null;
  /** Only rows with a larger id: `'0'` from the start. */
  readonly afterId: string;
  /** At most this many rows, oldest first; `null` for all. */
  readonly limit: number | null;
}

/** Checks a filter given by the caller and makes it a selection; throws an `InvalidArgumentError` naming the field. */
export function archiveSelection(
  appId: string,
  filter: ArchivedFilter,
  status: ArchivedStatus | null,
  afterId: string,
  limit: number | null = null,
): ArchiveSelection {
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
  return {
    appId,
    ids: ids ?? null,
    queue: queue ?? null,
    reason: reason ?? null,
    status,
    afterId,
    limit: limit === Infinity ? null : limit,
  };
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
