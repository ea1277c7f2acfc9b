import type { Pool, PoolClient } from 'pg';

/** A client just taken from the pool, and the error it emitted before its user could listen, if any. */
export interface CheckedOutClient {
  readonly client: PoolClient;
  /** Stops holding the client's errors; returns the one it emitted meanwhile (the connection is lost). */
  takeEarlyError(): Error | undefined;
}

/**
 * `pool.connect()`, with an `'error'` listener on the client from the moment pg-pool hands it over.
 * pg-pool removes its own listener when it checks a client out and calls back synchronously from the
 * parser that read `ReadyForQuery`; if the same chunk of bytes also holds a `FATAL` (a connection
 * terminated just as it was made, `pg_terminate_backend`), the parser emits it before a promise
 * continuation could attach a listener, and the unhandled `'error'` ends the process.
 */
export function checkOut(pool: Pool): Promise<CheckedOutClient> {
  return new Promise((resolve, reject) => {
    pool.connect((error, client) => {
      if (error !== undefined && error !== null) {
        reject(error);
        return;
      }
      if (client === undefined) {
        reject(new Error('pg-pool handed out no client'));
        return;
      }
      let early: Error | undefined;
      const hold = (clientError: Error): void => {
        early ??= clientError;
      };
      client.on('error', hold);
      resolve({
        client,
        takeEarlyError: () => {
          client.off('error', hold);
          return early;
        },
      });
    });
  });
}
