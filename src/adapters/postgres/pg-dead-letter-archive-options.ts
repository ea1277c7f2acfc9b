import type { Pool } from 'pg';
import type { SqlUnitOfWork } from '../../deferred/sql-unit-of-work.js';
import { optionKeys } from '../../internal/options.js';
import type { DeadLetterNames } from '../../messaging/names.js';
import type { Transport } from '../../messaging/transport.js';
import type { PgDeadLetterArchiveNameOptions } from './pg-dead-letter-archive-sql.js';

export interface PgDeadLetterArchiveOptions<Tx = unknown> extends PgDeadLetterArchiveNameOptions {
  /**
   * A `pg` `Pool` you create and manage (tidings never ends it). Give this or `unitOfWork`.
   * @defaultValue none
   */
  pool?: Pool;
  /**
   * A PostgreSQL `SqlUnitOfWork` (a `PgUnitOfWork`, or an ORM's of dialect `'postgres'`) the archive runs
   * its statements through, each operation in a transaction of its own (over a `PgUnitOfWork`'s pool, a
   * lone statement goes straight to the pool). Give this or `pool`.
   * @defaultValue a `PgUnitOfWork` over `pool`
   */
  unitOfWork?: SqlUnitOfWork<Tx>;
  /** The broker: `archive` takes dead letters from it, `replay` sends them back through it. */
  transport: Transport;
  /** Whose dead-letter queue is archived; rows are kept per application. @defaultValue process.env.TIDINGS_APP_ID ?? 'tidings' */
  appId?: string;
  /** @defaultValue `defaultDeadLetterNames(appId)` */
  deadLetter?: Partial<DeadLetterNames>;
}

/** Checked by the compiler against PgDeadLetterArchiveOptions: a key added there must be added here. */
export const OPTION_KEYS = optionKeys<PgDeadLetterArchiveOptions>({
  pool: true,
  unitOfWork: true,
  transport: true,
  appId: true,
  deadLetter: true,
  schema: true,
  table: true,
});
