import { ConnectionFailedError } from '../errors/connection-failed-error.js';

/**
 * PostgreSQL answers that no retry can change: the login or the database is wrong, and stays wrong until
 * someone fixes the URL or the server. Everything else is worth waiting out: connection refused or
 * reset, 57P01 admin_shutdown, 57P03 cannot_connect_now (starting up), 53300 too_many_connections, a
 * missing table (a relay started before the migration).
 */
const FATAL_SQLSTATES: ReadonlySet<string> = new Set([
  '28P01', // invalid_password
  '28000', // invalid_authorization_specification: no such role, or refused by pg_hba.conf
  '3D000', // invalid_catalog_name: no such database
]);

/** What to check for an AMQP connection reply code no retry can change. */
const FATAL_AMQP_CODES: ReadonlyMap<number, string> = new Map([
  [403, 'check the user name and password in --url or AMQP_URL'], // ACCESS_REFUSED
  [530, 'check the virtual host in --url or AMQP_URL'], // NOT_ALLOWED
]);

/**
 * Why `error` means the relay must stop rather than retry, or `undefined` to retry. `brokerConnected`:
 * the transport has connected once; after that a 530 or a certificate failure may be a node restarting
 * or a certificate being replaced (the transport itself retries them then), while 403 still means the
 * credentials were withdrawn. `databaseUrl` is shown: pass it with its password masked.
 */
export function fatalReason(
  error: unknown,
  context: { databaseUrl: string; brokerConnected: boolean },
): string | undefined {
  if (error instanceof ConnectionFailedError) {
    const code = error.amqpCode;
    const check = code === undefined ? undefined : FATAL_AMQP_CODES.get(code);
    if (check !== undefined && (code === 403 || !context.brokerConnected))
      return `${error.message}; ${check}`;
    if (error.certificateRejected && !context.brokerConnected) return error.message;
    return undefined;
  }
  const sqlState = (error as { code?: unknown } | undefined)?.code;
  if (typeof sqlState !== 'string' || !FATAL_SQLSTATES.has(sqlState)) return undefined;
  return (
    `PostgreSQL at ${context.databaseUrl} refused the login: ${(error as Error).message} ` +
    `(SQLSTATE ${sqlState}); check --database-url or DATABASE_URL`
  );
}
