// MySQL's side of the archive's rows: the insert's parameters in `ARCHIVE_COLUMNS` order, with times as
// UTC DATETIME text. The mapping itself is broker- and database-neutral (archive-row.ts).
import { ARCHIVE_COLUMNS, type ArchiveRow } from '../../messaging/dead-letters/archive-row.js';

/** DATETIME holds the years 1000 to 9999; a header time outside them is stored as unknown (NULL). */
const FIRST_YEAR = 1000;
const LAST_YEAR = 9999;

export function archiveParameters(row: ArchiveRow): unknown[] {
  return ARCHIVE_COLUMNS.map((column) => {
    const value = row[column];
    return value instanceof Date ? utcDatetime(value) : value;
  });
}

/**
 * A time as DATETIME text in UTC (`2024-05-01 10:00:12.345`): the column holds UTC whatever the
 * session's `time_zone`, which a `Date` parameter would be converted to by the driver.
 */
export function utcDatetime(time: Date): string | null {
  const year = time.getUTCFullYear();
  if (year < FIRST_YEAR || year > LAST_YEAR) return null;
  return time.toISOString().replace('T', ' ').replace('Z', '');
}
