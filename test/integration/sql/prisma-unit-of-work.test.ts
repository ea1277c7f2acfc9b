import { PrismaMariaDb } from '@prisma/adapter-mariadb';
import { PrismaPg } from '@prisma/adapter-pg';
import { describe, expect, it } from 'vitest';
import { PrismaUnitOfWork } from 'tidings/prisma';
import { InvalidArgumentError } from '../../../src/errors/invalid-argument-error.js';
import { describeSqlUnitOfWork } from '../../contract/sql/sql-unit-of-work.contract.js';
import { MYSQL_URL, PG_URL } from '../../contract/sql/observer.js';
import { generatePrismaClient } from './prisma-client.js';

describeSqlUnitOfWork('PrismaUnitOfWork', 'postgres', async () => {
  const PrismaClient = await generatePrismaClient('postgresql');
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: PG_URL, max: 4 }) });
  return { unitOfWork: new PrismaUnitOfWork(prisma), close: () => prisma.$disconnect() };
});

describeSqlUnitOfWork('PrismaUnitOfWork', 'mysql', async () => {
  const PrismaClient = await generatePrismaClient('mysql');
  const url = new URL(MYSQL_URL);
  const adapter = new PrismaMariaDb({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: url.pathname.slice(1),
    connectionLimit: 4,
  });
  const prisma = new PrismaClient({ adapter });
  return { unitOfWork: new PrismaUnitOfWork(prisma), close: () => prisma.$disconnect() };
});

describe('PrismaUnitOfWork', () => {
  const client = { $transaction: async () => undefined, _activeProvider: 'postgresql' };

  it('refuses what is not a PrismaClient, and bad options, naming them', () => {
    expect(() => new PrismaUnitOfWork({} as never)).toThrow(InvalidArgumentError);
    expect(() => new PrismaUnitOfWork('prisma' as never)).toThrow(/expected a PrismaClient, got "prisma"/);
    expect(() => new PrismaUnitOfWork(client as never, { dialekt: 'mysql' } as never)).toThrow(
      /unknown option "dialekt"/,
    );
    expect(() => new PrismaUnitOfWork(client as never, { dialect: 'sqlite' as never })).toThrow(
      /dialect option/,
    );
    expect(() => new PrismaUnitOfWork(client as never, { transactionOptions: 5 as never })).toThrow(
      /transactionOptions option must be an object, got number 5/,
    );
  });

  it('reads the dialect from the provider, or asks for it', () => {
    expect(new PrismaUnitOfWork(client as never).dialect).toBe('postgres');
    expect(new PrismaUnitOfWork({ ...client, _activeProvider: 'mysql' } as never).dialect).toBe('mysql');
    const sqlite = { ...client, _activeProvider: 'sqlite' };
    expect(() => new PrismaUnitOfWork(sqlite as never)).toThrow(/provider "sqlite" is not one tidings knows/);
    expect(new PrismaUnitOfWork(sqlite as never, { dialect: 'mysql' }).dialect).toBe('mysql');
  });

  it('passes transactionOptions to the outermost $transaction only', async () => {
    const calls: unknown[] = [];
    const tx = {
      $transaction: async (work: (t: unknown) => Promise<unknown>, options?: unknown) => {
        calls.push(options);
        return work(tx);
      },
    };
    const unitOfWork = new PrismaUnitOfWork({ ...tx, _activeProvider: 'postgresql' } as never, {
      transactionOptions: { timeout: 20_000 },
    });
    await unitOfWork.transaction(async () => unitOfWork.transaction(async () => 'inner'));
    expect(calls).toEqual([{ timeout: 20_000 }, undefined]);
  });
});
