import type { SqlResult } from '../../deferred/sql-unit-of-work.js';

/**
 * mysql2's answer to one statement as the port's `SqlResult`: the rows of a `SELECT`, or the affected
 * rows of the others (mysql2 asks for "found rows" by default, so an `UPDATE` counts the rows it matched).
 */
export function toSqlResult<Row>(result: unknown): SqlResult<Row> {
  if (Array.isArray(result)) return { rows: result as Row[], rowCount: result.length };
  const affected = (result as { affectedRows?: unknown } | null)?.affectedRows;
  return { rows: [], rowCount: typeof affected === 'number' ? affected : 0 };
}
