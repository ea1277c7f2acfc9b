/**
 * Rewrites PostgreSQL's numbered placeholders (`$1`, `$2`…) as positional `?`, for drivers that bind
 * only those (Knex and MikroORM on PostgreSQL); a placeholder used twice or out of order takes its
 * parameter twice or in that order. tidings' own statements have no `$n` inside string literals or
 * dollar quotes, which this does not parse.
 */
export function toQuestionMarks(sql: string, params: readonly unknown[]): { sql: string; params: unknown[] } {
  const ordered: unknown[] = [];
  const rewritten = sql.replace(/\$(\d+)/g, (_, index: string) => {
    ordered.push(params[Number(index) - 1]);
    return '?';
  });
  return { sql: rewritten, params: ordered };
}
