import type { Pool } from 'pg';

/**
 * The pg Pool of a CLI command that needs PostgreSQL, shared by `tidings outbox` and the dead-letter
 * archive commands. pg is loaded only here (an optional peer dependency of tidings): the rest of the CLI
 * works without it. On a problem it writes why to `err` and resolves to the exit code instead.
 */
export async function openCliPool(
  databaseUrl: string,
  needs: string,
  err: NodeJS.WritableStream,
  config: { max?: number } = {},
): Promise<Pool | number> {
  if (!URL.canParse(databaseUrl)) {
    // Not echoed: the part that does not parse may well be the password.
    err.write('tidings: the PostgreSQL URL is not a valid URL (it is not shown: it may hold a password)\n');
    return 2;
  }
  let pg: { default: { Pool: new (config: object) => Pool } };
  try {
    pg = await import('pg');
  } catch {
    err.write(`tidings: ${needs} the "pg" package: npm install pg\n`);
    return 2;
  }
  const pool = new pg.default.Pool({
    connectionString: databaseUrl,
    application_name: 'tidings-cli',
    ...config,
  });
  pool.on('error', () => {}); // an idle client's error surfaces in the next query (or the relay retries)
  return pool;
}
