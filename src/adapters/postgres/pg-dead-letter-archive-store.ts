import type { ArchiveRow } from '../../messaging/dead-letters/archive-row.js';
import { fromArchiveRecord, type ArchiveRecord } from '../../messaging/dead-letters/archive-row.js';
import type { ArchiveSelection } from '../../messaging/dead-letters/archive-selection.js';
import type {
  ArchivedDeadLetter,
  ArchivedStatus,
} from '../../messaging/dead-letters/archived-dead-letter.js';
import type { DeadLetterArchiveStore } from '../../messaging/dead-letters/dead-letter-archive-store.js';
import { pgArray } from './pg-array.js';
import { INSERT_COLUMNS, type PgDeadLetterArchiveStatements } from './pg-dead-letter-archive-sql.js';
import type { PgExecutor } from './pg-executor.js';

/** SQLSTATE classes 22 (data exception) and 23 (integrity constraint): this row is refused, not the database down. */
const REFUSED_ROW = /^2[23]/;

/**
 * The archive's statements on PostgreSQL, run through a `PgExecutor` (a pool's, or any PostgreSQL
 * `SqlUnitOfWork`'s). Arrays are bound as array literals (see `pgArray`): every driver and ORM passes
 * text through unchanged.
 */
export class PgDeadLetterArchiveStore implements DeadLetterArchiveStore {
  constructor(
    readonly executor: PgExecutor,
    readonly sql: PgDeadLetterArchiveStatements,
  ) {}

  async ensureSchema(): Promise<void> {
    await this.executor.transaction(async (query) => {
      await query(this.sql.lock);
      for (const statement of this.sql.schema) await query(statement);
    });
  }

  async insert(row: ArchiveRow): Promise<{ added: boolean; id: string | undefined }> {
    const parameters = INSERT_COLUMNS.map((column) => {
      const value = row[column];
      return value instanceof Date ? value.toISOString() : value;
    });
    // One statement in a transaction of its own: it has committed when the query resolves.
    const { rows } = await this.executor.run(this.sql.insert, parameters);
    const first = rows[0] as { id?: string | number; added?: boolean } | undefined;
    return {
      added: first !== undefined && first.added !== false,
      id: first?.id === undefined ? undefined : String(first.id),
    };
  }

  refusesRow(error: unknown): boolean {
    return REFUSED_ROW.test(String((error as { code?: unknown } | null)?.code));
  }

  async select(selection: ArchiveSelection): Promise<ArchivedDeadLetter[]> {
    const { rows } = await this.executor.run(this.sql.select, parameters(selection));
    return (rows as unknown as ArchiveRecord[]).map(fromArchiveRecord);
  }

  async count(selection: ArchiveSelection): Promise<number> {
    const { rows } = await this.executor.run(this.sql.count, parameters(selection).slice(0, 6));
    return Number((rows[0] as { count?: unknown } | undefined)?.count ?? 0);
  }

  replayBatch(
    selection: ArchiveSelection,
    publish: (rows: readonly ArchivedDeadLetter[]) => Promise<readonly string[]>,
  ): Promise<ArchivedDeadLetter[]> {
    return this.executor.transaction(async (query) => {
      const { rows } = await query(this.sql.selectForUpdate, parameters(selection));
      const found = (rows as unknown as ArchiveRecord[]).map(fromArchiveRecord);
      const confirmed = await publish(found);
      if (confirmed.length > 0) {
        await query(this.sql.markReplayed, [selection.appId, pgArray(confirmed)]);
      }
      return found;
    });
  }

  async discard(selection: ArchiveSelection): Promise<string[]> {
    const { rows } = await this.executor.run(this.sql.discard, parameters(selection));
    return rows.map((row) => String((row as { id: unknown }).id));
  }

  async purge(appId: string, olderThan: Date, includePending: boolean): Promise<number> {
    return (await this.executor.run(this.sql.purge, [appId, olderThan.toISOString(), includePending]))
      .rowCount;
  }

  async counts(appId: string): Promise<Partial<Record<ArchivedStatus, number>>> {
    const { rows } = await this.executor.run(this.sql.counts, [appId]);
    const counts: Partial<Record<ArchivedStatus, number>> = {};
    for (const row of rows as { status: ArchivedStatus; count: unknown }[]) {
      counts[row.status] = Number(row.count);
    }
    return counts;
  }
}

/** `SELECTION`'s parameters (pg-dead-letter-archive-sql.ts): $1 app … $7 limit. */
function parameters(selection: ArchiveSelection): unknown[] {
  return [
    selection.appId,
    selection.ids === null ? null : pgArray(selection.ids),
    selection.queue,
    selection.reason,
    selection.status,
    selection.afterId,
    selection.limit,
  ];
}
