// The units of work the adapter scenarios measure, one per adapter and database, set up as
// test/integration/sql/orm-fixtures.ts sets them up for the outbox matrix; the MySQL side of the run
// (its admin pool and the tables to drop); loading tidings' adapter entry points from the same build as
// the rest of the benchmark.
//
// Each ORM is imported only by the child that measures it: a child then loads what one application
// process would (one ORM), and starts faster.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import mysql from 'mysql2/promise';
import type { SqlUnitOfWork } from '../../src/index.js';
import type * as PostgresEntry from '../../src/postgres.js';
import type * as MysqlEntry from '../../src/mysql.js';
import type * as KnexEntry from '../../src/knex.js';
import type * as KyselyEntry from '../../src/kysely.js';
import type * as DrizzleEntry from '../../src/drizzle.js';
import type * as TypeOrmEntry from '../../src/typeorm.js';
import type * as MikroOrmEntry from '../../src/mikro-orm.js';
import type * as PrismaEntry from '../../src/prisma.js';
import type { GeneratedPrismaClient as GeneratedClient } from '../../test/integration/sql/prisma-client.js';
import { tidingsBuildDir } from '../amqp/tidings.js';
import { DATABASE_URL } from './harness.js';

export const MYSQL_URL = process.env['MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/test';

export type Database = 'postgres' | 'mysql';

export const DATABASE_LABEL: Readonly<Record<Database, string>> = {
  postgres: 'PostgreSQL',
  mysql: 'MariaDB/MySQL',
};

export interface AdapterSpec {
  /** What `--adapters` names: `knex`, or `mysql/knex` for one database only. */
  readonly id: string;
  readonly database: Database;
  /** The unit of work's class. */
  readonly name: string;
}

const ORMS = ['knex', 'kysely', 'drizzle', 'typeorm', 'mikro-orm', 'prisma'] as const;
const CLASS_NAMES: Readonly<Record<string, string>> = {
  pg: 'PgUnitOfWork',
  mysql2: 'MysqlUnitOfWork',
  knex: 'KnexUnitOfWork',
  kysely: 'KyselyUnitOfWork',
  drizzle: 'DrizzleUnitOfWork',
  typeorm: 'TypeOrmUnitOfWork',
  'mikro-orm': 'MikroOrmUnitOfWork',
  prisma: 'PrismaUnitOfWork',
};

export const ADAPTERS: readonly AdapterSpec[] = (['postgres', 'mysql'] as const).flatMap((database) =>
  [database === 'postgres' ? 'pg' : 'mysql2', ...ORMS].map((id) => ({
    id,
    database,
    name: CLASS_NAMES[id]!,
  })),
);

/**
 * `--adapters`: each item an adapter (`knex`: on both databases), an adapter on one database
 * (`mysql/knex`), or a database (`postgres`, `mysql`: all its adapters). Undefined: all of them.
 */
export function selectAdapters(filter: readonly string[] | undefined): AdapterSpec[] {
  if (filter === undefined) return [...ADAPTERS];
  const selected = ADAPTERS.filter((spec) =>
    filter.some(
      (item) => item === spec.id || item === spec.database || item === `${spec.database}/${spec.id}`,
    ),
  );
  if (selected.length === 0) {
    const known = [...new Set(ADAPTERS.map((spec) => spec.id))].join(', ');
    throw new Error(
      `--adapters: none of ${filter.join(', ')} (adapters: ${known}; databases: postgres, mysql)`,
    );
  }
  return selected;
}

export interface OpenedAdapter {
  readonly unitOfWork: SqlUnitOfWork<unknown>;
  close(): Promise<void>;
}

/** Pool size of every adapter: the flushes use one connection at a time, as in the tests' fixtures. */
const POOL_MAX = 4;

/** In the child: the unit of work of `spec`, over a pool of its own. */
export async function openAdapter(spec: AdapterSpec): Promise<OpenedAdapter> {
  const pg = spec.database === 'postgres';
  const opened = (unitOfWork: unknown, close: () => Promise<unknown>): OpenedAdapter => ({
    unitOfWork: unitOfWork as SqlUnitOfWork<unknown>,
    close: async () => void (await close()),
  });
  switch (spec.id) {
    case 'pg': {
      const [{ PgUnitOfWork }, { default: pgDriver }] = await Promise.all([
        tidingsEntry<typeof PostgresEntry>('postgres'),
        import('pg'),
      ]);
      const pool = new pgDriver.Pool({ connectionString: DATABASE_URL, max: POOL_MAX });
      return opened(new PgUnitOfWork({ pool }), () => pool.end());
    }
    case 'mysql2': {
      const { MysqlUnitOfWork } = await tidingsEntry<typeof MysqlEntry>('mysql');
      const pool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: POOL_MAX });
      return opened(new MysqlUnitOfWork({ pool }), () => pool.end());
    }
    case 'knex': {
      const [{ KnexUnitOfWork }, { default: knex }] = await Promise.all([
        tidingsEntry<typeof KnexEntry>('knex'),
        import('knex'),
      ]);
      const db = knex({
        client: pg ? 'pg' : 'mysql2',
        connection: pg ? DATABASE_URL : MYSQL_URL,
        pool: { min: 0, max: POOL_MAX },
      });
      return opened(new KnexUnitOfWork(db), () => db.destroy());
    }
    case 'kysely': {
      const [{ KyselyUnitOfWork }, { Kysely, MysqlDialect, PostgresDialect }] = await Promise.all([
        tidingsEntry<typeof KyselyEntry>('kysely'),
        import('kysely'),
      ]);
      const dialect = pg
        ? new PostgresDialect({
            pool: new (await import('pg')).default.Pool({ connectionString: DATABASE_URL, max: POOL_MAX }),
          })
        : new MysqlDialect({
            pool: (await import('mysql2')).createPool({ uri: MYSQL_URL, connectionLimit: POOL_MAX }),
          });
      const db = new Kysely<unknown>({ dialect });
      return opened(new KyselyUnitOfWork(db), () => db.destroy());
    }
    case 'drizzle': {
      const { DrizzleUnitOfWork } = await tidingsEntry<typeof DrizzleEntry>('drizzle');
      if (pg) {
        const { drizzle } = await import('drizzle-orm/node-postgres');
        const pool = new (await import('pg')).default.Pool({ connectionString: DATABASE_URL, max: POOL_MAX });
        return opened(new DrizzleUnitOfWork(drizzle(pool)), () => pool.end());
      }
      const { drizzle } = await import('drizzle-orm/mysql2');
      const pool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: POOL_MAX });
      return opened(new DrizzleUnitOfWork(drizzle(pool, { mode: 'default' })), () => pool.end());
    }
    case 'typeorm': {
      await import('reflect-metadata');
      const [{ TypeOrmUnitOfWork }, { DataSource }] = await Promise.all([
        tidingsEntry<typeof TypeOrmEntry>('typeorm'),
        import('typeorm'),
      ]);
      const source = await new DataSource(
        pg
          ? { type: 'postgres', url: DATABASE_URL, extra: { max: POOL_MAX } }
          : { type: 'mysql', url: MYSQL_URL, extra: { connectionLimit: POOL_MAX } },
      ).initialize();
      return opened(new TypeOrmUnitOfWork(source), () => source.destroy());
    }
    case 'mikro-orm': {
      const { MikroOrmUnitOfWork } = await tidingsEntry<typeof MikroOrmEntry>('mikro-orm');
      const options = {
        entities: [],
        discovery: { warnWhenNoEntities: false },
        pool: { min: 0, max: POOL_MAX },
      };
      const orm = pg
        ? await (await import('@mikro-orm/postgresql')).MikroORM.init({ ...options, clientUrl: DATABASE_URL })
        : await (await import('@mikro-orm/mariadb')).MikroORM.init({ ...options, clientUrl: MYSQL_URL });
      return opened(new MikroOrmUnitOfWork(orm.em), () => orm.close());
    }
    case 'prisma': {
      const { PrismaUnitOfWork } = await tidingsEntry<typeof PrismaEntry>('prisma');
      const PrismaClient = loadPrismaClient(pg ? 'postgresql' : 'mysql');
      const adapter = pg
        ? new (await import('@prisma/adapter-pg')).PrismaPg({ connectionString: DATABASE_URL, max: POOL_MAX })
        : new (await import('@prisma/adapter-mariadb')).PrismaMariaDb(mariaDbConfig());
      const prisma = new PrismaClient({ adapter });
      return opened(new PrismaUnitOfWork(prisma), () => prisma.$disconnect());
    }
    default:
      throw new Error(`no adapter ${spec.id}`);
  }
}

function mariaDbConfig() {
  const url = new URL(MYSQL_URL);
  return {
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: url.pathname.slice(1),
    connectionLimit: POOL_MAX,
  };
}

type GeneratedPrismaClient = new (options: object) => GeneratedClient;

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * In the parent, once per run: generates the Prisma clients the selected adapters need, as the tests
 * do (offline, ~3 s each, into the git-ignored test/.tmp/prisma/<provider>).
 */
export async function generatePrismaClients(specs: readonly AdapterSpec[]): Promise<void> {
  const { generatePrismaClient } = await import('../../test/integration/sql/prisma-client.js');
  for (const spec of specs.filter((candidate) => candidate.id === 'prisma')) {
    await generatePrismaClient(spec.database === 'postgres' ? 'postgresql' : 'mysql');
  }
}

/** In the child: the client the parent generated (where generatePrismaClient writes it). */
function loadPrismaClient(provider: 'postgresql' | 'mysql'): GeneratedPrismaClient {
  const require = createRequire(import.meta.url);
  return (
    require(`${root}test/.tmp/prisma/${provider}/client/index.js`) as { PrismaClient: GeneratedPrismaClient }
  ).PrismaClient;
}

/**
 * One of tidings' entry points (`mysql`, `knex`…) from the build the rest of the benchmark uses (see
 * ../amqp/tidings.ts), so that its classes are the ones the Flusher and the Bridge know; from src/ with
 * `--from-src`.
 */
export async function tidingsEntry<T>(name: string): Promise<T> {
  const url =
    tidingsBuildDir === undefined
      ? new URL(`../../src/${name}.js`, import.meta.url).href
      : pathToFileURL(join(tidingsBuildDir, `${name}.js`)).href;
  return (await import(url)) as T;
}

// ---------------------------------------------------------------------------------------------------
// The MySQL side of the run: an admin pool opened on first use, and the tables to drop at the end.

export class MysqlSide {
  readonly tables = new Set<string>();
  #pool: mysql.Pool | undefined;

  /** The harness's own pool (DDL, filling, checks), never one a case is measured on. */
  get pool(): mysql.Pool {
    return (this.#pool ??= mysql.createPool({ uri: MYSQL_URL, connectionLimit: 4 }));
  }

  /** Records a table of the run (e.g. MysqlOutbox's `<table>_token` counter) to be dropped. */
  table(name: string): string {
    this.tables.add(name);
    return name;
  }

  /** Drops every table of the run and ends the pool. Never throws. */
  async dropAll(log: (line: string) => void): Promise<void> {
    if (this.#pool === undefined) return;
    let dropped = 0;
    for (const table of this.tables) {
      try {
        await this.#pool.query(`DROP TABLE IF EXISTS \`${table}\``);
        dropped++;
      } catch (error) {
        log(`cleanup FAILED for MySQL table ${table}: ${String(error)}`);
      }
    }
    log(`cleanup: dropped ${dropped} MySQL tables`);
    await this.#pool.end().catch(() => {});
    this.#pool = undefined;
  }
}

/** The ports of the two servers, for the wire counter (./wire.ts). */
export function databasePorts(): Map<number, Database> {
  return new Map([
    [Number(new URL(DATABASE_URL).port || 5432), 'postgres'],
    [Number(new URL(MYSQL_URL).port || 3306), 'mysql'],
  ]);
}

/** Names the statements of a flush or a relay for the report; unknown ones by their start. */
export function statementKind(tables: { readonly orders?: string; readonly outbox?: string }) {
  return (sql: string): string => {
    const text = sql.trimStart();
    if (/^(BEGIN|START TRANSACTION)\b/i.test(text)) return 'BEGIN';
    if (/^COMMIT\b/i.test(text)) return 'COMMIT';
    if (/^ROLLBACK\b/i.test(text)) return 'ROLLBACK';
    if (text.startsWith('WITH added AS')) return 'outbox INSERT';
    if (text.startsWith('WITH due AS')) return 'claim';
    if (/^INSERT\b/i.test(text)) {
      if (tables.outbox !== undefined && text.includes(tables.outbox)) return 'outbox INSERT';
      if (tables.orders !== undefined && text.includes(tables.orders)) return 'business INSERT';
    }
    if (/^UPDATE\b[^]*\bSET published_at = /i.test(text)) return 'markPublished';
    // MysqlOutbox's claim: a transaction of its own (MySQL has no UPDATE … RETURNING).
    if (/^SET (SESSION )?TRANSACTION\b/i.test(text)) return 'SET TRANSACTION';
    if (/^SELECT\b[^]*\bFOR UPDATE SKIP LOCKED\s*$/i.test(text)) return 'claim: SELECT … SKIP LOCKED';
    if (/^UPDATE\b[^]*\bSET v = LAST_INSERT_ID/i.test(text)) return 'claim: next token';
    if (/^UPDATE\b[^]*\bSET lease_owner = /i.test(text)) return 'claim: lease';
    // The outbox's name first: cut at 40 characters, it would no longer be found.
    return text
      .replaceAll(tables.outbox ?? '\0', '<outbox>')
      .slice(0, 40)
      .replaceAll(/\s+/g, ' ');
  };
}
