// The public API of tidings/prisma: the unit of work over Prisma 7 (@prisma/client, an optional peer
// dependency). It imports nothing from Prisma: it works on the structure of your generated client.

/**
 * The unit of work over a Prisma 7 client (`@prisma/client` with a driver adapter, an optional peer
 * dependency), on PostgreSQL or MySQL/MariaDB: tidings runs its SQL in your interactive transaction.
 *
 * @module tidings/prisma
 */

export { PrismaUnitOfWork } from './adapters/prisma/prisma-unit-of-work.js';
export type {
  PrismaTransactionClient,
  PrismaTransactionOptions,
  PrismaUnitOfWorkOptions,
} from './adapters/prisma/prisma-unit-of-work.js';
