import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { SqlDialect } from '../../../src/deferred/sql-unit-of-work.js';
import { DATABASE_URL, MYSQL_URL } from '../../integration/servers.js';

/** The PostgreSQL and the MySQL (MariaDB) the SQL tests use. */
export const PG_URL = DATABASE_URL;
export { MYSQL_URL };

/** A table name no other test file (or run) uses: `tidings_sql_<what>_` and ten hex digits. */
export function uniqueTable(what: string): string {
  return `tidings_sql_${what}_${randomBytes(5).toString('hex')}`;
}

/**
 * A connection of its own to the database an adapter under test uses, outside any of its
 * transactions: it creates and drops the tables and sees only what was committed.
 */
export interface Observer {
  readonly dialect: SqlDialect;
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  close(): Promise<void>;
}

export function createObserver(dialect: SqlDialect): Observer {
  if (dialect === 'postgres') {
    const pool = new pg.Pool({ connectionString: PG_URL, max: 2, connectionTimeoutMillis: 5_000 });
    return {
      dialect,
      query: async <Row>(sql: string, params: readonly unknown[] = []) =>
        (await pool.query(sql, [...params])).rows as Row[],
      close: () => pool.end(),
    };
  }
  const pool = mysql.createPool({
    uri: MYSQL_URL,
    connectionLimit: 2,
    connectTimeout: 5_000,
    // BIGINTs as exact text, not rounded numbers.
    supportBigNumbers: true,
    bigNumberStrings: true,
  });
  return {
    dialect,
    query: async <Row>(sql: string, params: readonly unknown[] = []) => {
      const [rows] = await pool.query(sql, [...params]);
      return (Array.isArray(rows) ? rows : []) as Row[];
    },
    close: () => pool.end(),
  };
}
