import type { ArchiveRow } from './archive-row.js';
import type { ArchiveSelection } from './archive-selection.js';
import type { ArchivedDeadLetter, ArchivedStatus } from './archived-dead-letter.js';

/**
 * What the dead-letter archive needs of a database: one implementation per dialect
 * (`PgDeadLetterArchiveStore`, `MysqlDeadLetterArchiveStore`), each running its own SQL through a
 * `SqlUnitOfWork`. Everything else — which dead letters to take, acking only after the row committed,
 * replaying with confirms, the summaries — is `DeadLetterArchiveCore`'s, the same on every database.
 */
export interface DeadLetterArchiveStore {
  /** Creates the table and its keys if they do not exist; safe to run from several processes at once. */
  ensureSchema(): Promise<void>;
  /**
   * Inserts one row, committed when the promise resolves. `added: false` when a row with the same
   * application and fingerprint was there already (its id when it could be read). Rejects with the
   * database's error otherwise.
   */
  insert(row: ArchiveRow): Promise<{ added: boolean; id: string | undefined }>;
  /** Whether an error of `insert` is the database refusing this row (a data error), not being unavailable. */
  refusesRow(error: unknown): boolean;
  /** The selected rows, oldest first. */
  select(selection: ArchiveSelection): Promise<ArchivedDeadLetter[]>;
  /** How many rows the selection matches, its limit aside. */
  count(selection: ArchiveSelection): Promise<number>;
  /**
   * In one transaction: locks the selected rows, skipping those another transaction holds; `publish`
   * sends them and resolves to the ids the broker confirmed; those are marked replayed. Resolves to the
   * rows it locked, after the commit.
   */
  replayBatch(
    selection: ArchiveSelection,
    publish: (rows: readonly ArchivedDeadLetter[]) => Promise<readonly string[]>,
  ): Promise<ArchivedDeadLetter[]>;
  /** Marks the selected rows discarded (skipping those another transaction holds); resolves to their ids. */
  discard(selection: ArchiveSelection): Promise<string[]>;
  /** Deletes rows of `appId` archived before `olderThan`: not pending ones, unless `includePending`. */
  purge(appId: string, olderThan: Date, includePending: boolean): Promise<number>;
  /** Rows of `appId` per status (statuses without rows may be left out). */
  counts(appId: string): Promise<Partial<Record<ArchivedStatus, number>>>;
}
