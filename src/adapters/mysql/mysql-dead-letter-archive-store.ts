import type { ArchiveRecord, ArchiveRow } from '../../messaging/dead-letters/archive-row.js';
import { fromArchiveRecord } from '../../messaging/dead-letters/archive-row.js';
import type { ArchiveSelection } from '../../messaging/dead-letters/archive-selection.js';
import type {
  ArchivedDeadLetter,
  ArchivedStatus,
} from '../../messaging/dead-letters/archived-dead-letter.js';
import type { DeadLetterArchiveStore } from '../../messaging/dead-letters/dead-letter-archive-store.js';
import type { SqlResult } from '../../deferred/sql-unit-of-work.js';
import { archiveParameters, utcDatetime } from './mysql-dead-letter-archive-row.js';
import type { MysqlDeadLetterArchiveStatements } from './mysql-dead-letter-archive-sql.js';
import type { MysqlExecutor } from './mysql-executor.js';

/** ER_DUP_ENTRY: the unique key (app_id, fingerprint) found the row of an earlier run. */
const ER_DUP_ENTRY = 1062;
/**
 * Errors that refuse this row, not the database: SQLSTATE classes 22 (data: too long, bad time) and 23
 * (integrity), and the strict-mode and CHECK errors MySQL files under HY000 (ER_TRUNCATED_WRONG_VALUE_FOR_FIELD,
 * MySQL's ER_CHECK_CONSTRAINT_VIOLATED; MariaDB's ER_CONSTRAINT_FAILED is 23000).
 */
const REFUSED_STATE = /^2[23]/;
const REFUSED_ERRNOS: ReadonlySet<number> = new Set([1366, 3819]);

interface DriverError {
  errno?: unknown;
  sqlState?: unknown;
  cause?: unknown;
}

/**
 * The archive's statements on MySQL and MariaDB, through a `MysqlExecutor` (a mysql2 pool's, read
 * committed, or any `SqlUnitOfWork` of dialect `'mysql'`). MySQL has no `RETURNING` on UPDATE: a discard
 * locks the rows it marks first, in the same transaction.
 */
export class MysqlDeadLetterArchiveStore implements DeadLetterArchiveStore {
  constructor(
    readonly executor: MysqlExecutor,
    readonly sql: MysqlDeadLetterArchiveStatements,
  ) {}

  async ensureSchema(): Promise<void> {
    // One CREATE TABLE IF NOT EXISTS: concurrent first runs are serialised by the server's metadata lock.
    await this.executor.session((query) => query(this.sql.schema));
  }

  async insert(row: ArchiveRow): Promise<{ added: boolean; id: string | undefined }> {
    try {
      const id = await this.executor.transaction(async (query) => {
        await query(this.sql.insert, archiveParameters(row));
        return idOf(await query(this.sql.idOf, [row.app_id, row.fingerprint]));
      });
      return { added: true, id };
    } catch (error) {
      if (driverError(error).errno !== ER_DUP_ENTRY) throw error;
      return {
        added: false,
        id: idOf(await this.executor.run(this.sql.idOf, [row.app_id, row.fingerprint])),
      };
    }
  }

  refusesRow(error: unknown): boolean {
    const { errno, sqlState } = driverError(error);
    return REFUSED_STATE.test(String(sqlState)) || (typeof errno === 'number' && REFUSED_ERRNOS.has(errno));
  }

  async select(selection: ArchiveSelection): Promise<ArchivedDeadLetter[]> {
    const { sql, params } = this.sql.select(selection);
    return records(await this.executor.run(sql, params));
  }

  async count(selection: ArchiveSelection): Promise<number> {
    const { sql, params } = this.sql.count(selection);
    const { rows } = await this.executor.run(sql, params);
    return Number((rows[0] as { count?: number | string } | undefined)?.count ?? 0);
  }

  replayBatch(
    selection: ArchiveSelection,
    publish: (rows: readonly ArchivedDeadLetter[]) => Promise<readonly string[]>,
  ): Promise<ArchivedDeadLetter[]> {
    return this.executor.transaction(async (query) => {
      const { sql, params } = this.sql.select(selection, true);
      const found = records(await query(sql, params));
      const confirmed = await publish(found);
      if (confirmed.length > 0) {
        await query(this.sql.mark('replayed', confirmed.length), [selection.appId, ...confirmed]);
      }
      return found;
    });
  }

  discard(selection: ArchiveSelection): Promise<string[]> {
    return this.executor.transaction(async (query) => {
      const { sql, params } = this.sql.lockIds(selection);
      const ids = (await query(sql, params)).rows.map((row) => String((row as { id: string }).id));
      if (ids.length > 0) await query(this.sql.mark('discarded', ids.length), [selection.appId, ...ids]);
      return ids;
    });
  }

  async purge(appId: string, olderThan: Date, includePending: boolean): Promise<number> {
    // A time before DATETIME's range is older than every row, one after it newer.
    const before =
      utcDatetime(olderThan) ?? (olderThan.getUTCFullYear() > 9999 ? '9999-12-31 23:59:59.999' : null);
    if (before === null) return 0;
    return (await this.executor.run(this.sql.purge(includePending), [appId, before])).rowCount;
  }

  async counts(appId: string): Promise<Partial<Record<ArchivedStatus, number>>> {
    const { rows } = await this.executor.run(this.sql.counts, [appId]);
    const counts: Partial<Record<ArchivedStatus, number>> = {};
    for (const row of rows as { status: ArchivedStatus; count: number | string }[]) {
      counts[row.status] = Number(row.count);
    }
    return counts;
  }
}

function records(result: SqlResult): ArchivedDeadLetter[] {
  return (result.rows as unknown as ArchiveRecord[]).map(fromArchiveRecord);
}

function idOf(result: SqlResult): string | undefined {
  const id = (result.rows[0] as { id?: string | number } | undefined)?.id;
  return id === undefined ? undefined : String(id);
}

/** The driver's error, or the one an ORM wrapped it in (its `cause`). */
function driverError(error: unknown): DriverError {
  const outer = (error ?? {}) as DriverError;
  if (outer.errno === undefined && typeof outer.cause === 'object' && outer.cause !== null) {
    return outer.cause;
  }
  return outer;
}
