// PostgreSQL's side of the archive's rows: the insert's parameters in `INSERT_COLUMNS` order, times as
// ISO 8601 text (cast to timestamptz by the statement). The mapping itself is broker- and
// database-neutral (messaging/dead-letters/archive-row.ts).
import {
  ARCHIVE_COLUMNS,
  archiveRow,
  fromArchiveRecord,
  type ArchiveRecord,
} from '../../messaging/dead-letters/archive-row.js';
import type { DeadLetter } from '../../messaging/dead-letters/dead-letters.js';

export { fromArchiveRecord, type ArchiveRecord };

/** The parameters of the archive's insert, in `INSERT_COLUMNS` order. */
export function archiveParameters(
  deadLetter: DeadLetter,
  source: { appId: string; deadLetterQueue: string },
): unknown[] {
  const row = archiveRow(deadLetter, source);
  return ARCHIVE_COLUMNS.map((column) => {
    const value = row[column];
    return value instanceof Date ? value.toISOString() : value;
  });
}
