// The result shapes of the two drivers the ORMs run on, as a SqlResult's fields. Structural on purpose:
// internal/ sits below the SqlUnitOfWork port, and neither driver is imported.

/** Rows and a count, what `SqlResult` holds. */
export interface RowsAndCount {
  rows: Record<string, unknown>[];
  rowCount: number;
}

/**
 * A `pg` `Result` (`{ rows, rowCount }`; `rowCount` is the rows touched by an INSERT, UPDATE or DELETE,
 * the rows returned by a SELECT), or a row list with a `count` (postgres.js).
 */
export function pgDriverResult(result: unknown): RowsAndCount {
  if (Array.isArray(result)) {
    const count = (result as { count?: unknown }).count;
    return { rows: [...(result as Record<string, unknown>[])], rowCount: toCount(count, result.length) };
  }
  const { rows, rowCount } = (result ?? {}) as { rows?: unknown; rowCount?: unknown };
  const list = Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
  return { rows: list, rowCount: toCount(rowCount, list.length) };
}

/**
 * A `mysql2` result: `[rows, fields]` for a SELECT, `[ResultSetHeader, undefined]` for the others
 * (`affectedRows`: the rows a DML statement matched, which mysql2 asks the server for by default).
 * A bare rows array or header (without the tuple) is accepted too.
 */
export function mysql2DriverResult(result: unknown): RowsAndCount {
  const first: unknown = Array.isArray(result) && isTuple(result) ? result[0] : result;
  if (Array.isArray(first)) return { rows: first as Record<string, unknown>[], rowCount: first.length };
  const affected = (first as { affectedRows?: unknown } | undefined)?.affectedRows;
  return { rows: [], rowCount: toCount(affected, 0) };
}

/** `[rows | header, fields | undefined]`, not a list of two rows. */
function isTuple(result: unknown[]): boolean {
  return result.length === 2 && (result[1] === undefined || Array.isArray(result[1]));
}

function toCount(value: unknown, fallback: number): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  return fallback;
}
