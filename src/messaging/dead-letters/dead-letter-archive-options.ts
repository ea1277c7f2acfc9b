// What the dead-letter archive's operations take and report, whichever database holds the archive
// (`PgDeadLetterArchive`, `MysqlDeadLetterArchive`), and the option keys each operation accepts.
import { optionKeys } from '../../internal/options.js';
import type { ArchivedDeadLetter, ArchivedStatus } from './archived-dead-letter.js';
import type { DeadLetter, DeadLetterFilter } from './dead-letters.js';

export interface ArchiveOptions extends DeadLetterFilter {
  /** Called after each matching dead letter. `id` is its row (absent when it failed). */
  onProgress?: (progress: {
    done: number;
    /** An upper bound: the messages in the queue when the run began, or the limit. */
    total: number;
    deadLetter: DeadLetter;
    outcome: 'archived' | 'duplicate' | 'failed';
    id: string | undefined;
  }) => void;
}

export interface ArchiveSummary {
  /** Messages looked at. */
  scanned: number;
  archived: number;
  /** Messages that already had their row (a run that died before the ack): removed from the queue. */
  duplicates: number;
  /** Messages that did not match the filter (left in the queue). */
  skipped: number;
  /** Messages the database refused (left in the queue), with why. */
  failed: { messageId: string; error: string }[];
}

/** Which archived dead letters an operation applies to; every given criterion must hold. */
export interface ArchivedFilter {
  /** Only these rows. */
  ids?: readonly string[];
  /** Only dead letters that came from this queue. */
  queue?: string;
  /** Only this reason. */
  reason?: string;
  /** At most this many rows. */
  limit?: number;
}

export interface ArchivedListFilter extends ArchivedFilter {
  /** @defaultValue 'pending' */
  status?: ArchivedStatus | 'all';
  /** Only rows after this id: the last id of the previous page. */
  afterId?: string;
  /** @defaultValue 100 */
  limit?: number;
}

export interface ArchiveReplayOptions extends ArchivedFilter {
  /** Say what would be replayed, change nothing. @defaultValue false */
  dryRun?: boolean;
  /** Rows locked and published together (their confirms are awaited together). @defaultValue 100 */
  batchSize?: number;
  onProgress?: (progress: {
    done: number;
    total: number;
    row: ArchivedDeadLetter;
    outcome: 'replayed' | 'failed' | 'dry-run';
  }) => void;
}

/** What an archive's `purge` deletes. */
export interface ArchivePurgeOptions {
  /** Rows archived before this time. */
  olderThan: Date;
  /** Pending rows too, not only replayed and discarded ones. @defaultValue false */
  includePending?: boolean;
}

export interface ArchiveReplaySummary {
  /** Pending rows the replay took up: replayed, failed, or (in a dry run) would have been replayed. */
  selected: number;
  replayed: number;
  /** Rows whose copy was not confirmed (still pending), with why. */
  failed: { id: string; messageId: string; error: string }[];
  /** Of the `ids` asked for, those that were not pending (unknown, replayed, discarded, or being replayed). */
  notPending: string[];
  dryRun: boolean;
}

// The option keys of each operation; unknown keys are refused, naming them.

export const ARCHIVE_KEYS = optionKeys<ArchiveOptions>({
  queue: true,
  reason: true,
  limit: true,
  onProgress: true,
});

export const LIST_KEYS = optionKeys<ArchivedListFilter>({
  ids: true,
  queue: true,
  reason: true,
  limit: true,
  status: true,
  afterId: true,
});

export const REPLAY_KEYS = optionKeys<ArchiveReplayOptions>({
  ids: true,
  queue: true,
  reason: true,
  limit: true,
  dryRun: true,
  batchSize: true,
  onProgress: true,
});

export const DISCARD_KEYS = optionKeys<ArchivedFilter>({ ids: true, queue: true, reason: true, limit: true });

export const PURGE_KEYS = optionKeys<ArchivePurgeOptions>({ olderThan: true, includePending: true });
