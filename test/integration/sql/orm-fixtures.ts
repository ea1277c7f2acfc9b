// One unit of work per adapter and database, built as test/integration/sql/*-unit-of-work.test.ts build
// theirs: for the suites that run the same scenarios on every adapter (outbox-matrix.*.test.ts).
import 'reflect-metadata';
import { MikroORM as MariaDbOrm } from '@mikro-orm/mariadb';
import { MikroORM as PostgreSqlOrm } from '@mikro-orm/postgresql';
import { PrismaMariaDb } from '@prisma/adapter-mariadb';
import { PrismaPg } from '@prisma/adapter-pg';
import { drizzle as mysqlDrizzle } from 'drizzle-orm/mysql2';
import { drizzle as pgDrizzle } from 'drizzle-orm/node-postgres';
import knex from 'knex';
import { Kysely, MysqlDialect, PostgresDialect } from 'kysely';
import { createPool as createMysqlCallbackPool } from 'mysql2';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { DrizzleUnitOfWork } from 'tidings/drizzle';
import { KnexUnitOfWork } from 'tidings/knex';
import { KyselyUnitOfWork } from 'tidings/kysely';
import { MikroOrmUnitOfWork } from 'tidings/mikro-orm';
import { MysqlUnitOfWork } from 'tidings/mysql';
import { PgUnitOfWork } from 'tidings/postgres';
import { PrismaUnitOfWork } from 'tidings/prisma';
import { TypeOrmUnitOfWork } from 'tidings/typeorm';
import { DataSource } from 'typeorm';
import type { SqlDialect } from '../../../src/deferred/sql-unit-of-work.js';
import { MYSQL_URL, PG_URL } from '../../contract/sql/observer.js';
import type { SqlUnitOfWorkFixture } from '../../contract/sql/sql-unit-of-work.contract.js';
import { generatePrismaClient } from './prisma-client.js';

/** A named way to get a unit of work (and close what it opened) on one database. */
export interface UnitOfWorkFactory {
  readonly name: string;

  readonly setup: () => Promise<SqlUnitOfWorkFixture<any>>;
}

const MIKRO_ORM = { entities: [], discovery: { warnWhenNoEntities: false }, pool: { min: 0, max: 4 } };

function mariaDbAdapter(): PrismaMariaDb {
  const url = new URL(MYSQL_URL);
  return new PrismaMariaDb({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: url.pathname.slice(1),
    connectionLimit: 4,
  });
}

export const UNIT_OF_WORK_FACTORIES: Readonly<Record<SqlDialect, readonly UnitOfWorkFactory[]>> = {
  postgres: [
    {
      name: 'PgUnitOfWork',
      setup: async () => {
        const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
        return { unitOfWork: new PgUnitOfWork({ pool }), close: () => pool.end() };
      },
    },
    {
      name: 'KnexUnitOfWork',
      setup: async () => {
        const db = knex({ client: 'pg', connection: PG_URL, pool: { min: 0, max: 4 } });
        return { unitOfWork: new KnexUnitOfWork(db), close: () => db.destroy() };
      },
    },
    {
      name: 'KyselyUnitOfWork',
      setup: async () => {
        const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });

        const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
        return { unitOfWork: new KyselyUnitOfWork(db), close: () => db.destroy() };
      },
    },
    {
      name: 'DrizzleUnitOfWork',
      setup: async () => {
        const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
        return { unitOfWork: new DrizzleUnitOfWork(pgDrizzle(pool)), close: () => pool.end() };
      },
    },
    {
      name: 'TypeOrmUnitOfWork',
      setup: async () => {
        const source = await new DataSource({
          type: 'postgres',
          url: PG_URL,
          extra: { max: 4 },
        }).initialize();
        return { unitOfWork: new TypeOrmUnitOfWork(source), close: () => source.destroy() };
      },
    },
    {
      name: 'MikroOrmUnitOfWork',
      setup: async () => {
        const orm = await PostgreSqlOrm.init({ ...MIKRO_ORM, clientUrl: PG_URL });
        return { unitOfWork: new MikroOrmUnitOfWork(orm.em), close: () => orm.close() };
      },
    },
    {
      name: 'PrismaUnitOfWork',
      setup: async () => {
        const PrismaClient = await generatePrismaClient('postgresql');
        const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: PG_URL, max: 4 }) });
        return { unitOfWork: new PrismaUnitOfWork(prisma), close: () => prisma.$disconnect() };
      },
    },
  ],
  mysql: [
    {
      name: 'MysqlUnitOfWork',
      setup: async () => {
        const pool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 4 });
        return { unitOfWork: new MysqlUnitOfWork({ pool }), close: () => pool.end() };
      },
    },
    {
      name: 'KnexUnitOfWork',
      setup: async () => {
        const db = knex({ client: 'mysql2', connection: MYSQL_URL, pool: { min: 0, max: 4 } });
        return { unitOfWork: new KnexUnitOfWork(db), close: () => db.destroy() };
      },
    },
    {
      name: 'KyselyUnitOfWork',
      setup: async () => {
        const pool = createMysqlCallbackPool({ uri: MYSQL_URL, connectionLimit: 4 });

        const db = new Kysely<any>({ dialect: new MysqlDialect({ pool }) });
        return { unitOfWork: new KyselyUnitOfWork(db), close: () => db.destroy() };
      },
    },
    {
      name: 'DrizzleUnitOfWork',
      setup: async () => {
        const pool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 4 });
        return {
          unitOfWork: new DrizzleUnitOfWork(mysqlDrizzle(pool, { mode: 'default' })),
          close: () => pool.end(),
        };
      },
    },
    {
      name: 'TypeOrmUnitOfWork',
      setup: async () => {
        const source = await new DataSource({
          type: 'mysql',
          url: MYSQL_URL,
          extra: { connectionLimit: 4 },
        }).initialize();
        return { unitOfWork: new TypeOrmUnitOfWork(source), close: () => source.destroy() };
      },
    },
    {
      name: 'MikroOrmUnitOfWork',
      setup: async () => {
        const orm = await MariaDbOrm.init({ ...MIKRO_ORM, clientUrl: MYSQL_URL });
        return { unitOfWork: new MikroOrmUnitOfWork(orm.em), close: () => orm.close() };
      },
    },
    {
      name: 'PrismaUnitOfWork',
      setup: async () => {
        const PrismaClient = await generatePrismaClient('mysql');
        const prisma = new PrismaClient({ adapter: mariaDbAdapter() });
        return { unitOfWork: new PrismaUnitOfWork(prisma), close: () => prisma.$disconnect() };
      },
    },
  ],
};
