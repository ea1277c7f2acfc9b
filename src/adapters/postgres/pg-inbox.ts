import type { Pool, PoolClient } from 'pg';
import type { SqlUnitOfWork } from '../../deferred/sql-unit-of-work.js';
import { assertKnownOptions, optionKeys } from '../../internal/options.js';
import type { Inbox } from '../../messaging/inbox/inbox.js';
import {
  pgInboxNames,
  pgInboxStatements,
  type PgInboxNameOptions,
  type PgInboxNames,
  type PgInboxStatements,
} from './pg-inbox-sql.js';
import { pgExecutor, unitOfWorkOption, type PgExecutor } from './pg-executor.js';

export interface PgInboxOptions<Tx = PoolClient> extends PgInboxNameOptions {
  /**
   * The unit of work whose transactions `record()` writes in: a `PgUnitOfWork`, or an ORM's
   * `SqlUnitOfWork` of dialect `'postgres'`. `ensureSchema()` runs in a transaction of its own. Give
   * this or `pool`.
   * @defaultValue a `PgUnitOfWork` over `pool`
   */
  unitOfWork?: SqlUnitOfWork<Tx>;
  /**
   * A `pg` `Pool` you create and manage (tidings never ends it): the shorthand for
   * `unitOfWork: new PgUnitOfWork({ pool })`. Give this or `unitOfWork`.
   * @defaultValue none
   */
  pool?: Pool;
}

const OPTION_KEYS = optionKeys<PgInboxOptions>({
  unitOfWork: true,
  pool: true,
  schema: true,
  table: true,
});

/**
 * The inbox in PostgreSQL: a `(consumer, message_id)` primary key, written with
 * `INSERT … ON CONFLICT DO NOTHING` in the handler's transaction. A concurrent duplicate waits on the
 * first one's row lock and then finds it (or, if that transaction rolled back, takes its place).
 *
 * `record()` runs through the unit of work (`SqlUnitOfWork.query`) in the handler's transaction, so the
 * inbox works with any of them.
 *
 * @example
 * const inbox = new PgInbox({ pool });
 * await inbox.ensureSchema(); // or apply pgInboxSchemaSql() in a migration
 * consumer.consume(idempotent({ inbox, unitOfWork, consumer: 'billing' }, async (message, tx) => { … }));
 */
export class PgInbox<Tx = PoolClient> implements Inbox<Tx> {
  readonly #unitOfWork: SqlUnitOfWork<Tx>;
  readonly #executor: PgExecutor;
  readonly #names: PgInboxNames;
  readonly #sql: PgInboxStatements;

  constructor(options: PgInboxOptions<Tx>) {
    assertKnownOptions(options, OPTION_KEYS, 'PgInbox');
    this.#unitOfWork = unitOfWorkOption(options, 'PgInbox');
    this.#executor = pgExecutor(this.#unitOfWork);
    this.#names = pgInboxNames(options);
    this.#sql = pgInboxStatements(this.#names);
  }

  /** The validated table names (`qualifiedTable`, …). */
  get names(): PgInboxNames {
    return this.#names;
  }

  /**
   * Creates the table if it does not exist (see `pgInboxSchemaSql`). Safe to call from several
   * processes at once: they take turns on an advisory lock.
   */
  async ensureSchema(): Promise<void> {
    await this.#executor.transaction(async (query) => {
      await query(this.#sql.lock);
      await query(this.#sql.schema);
    });
  }

  async record(consumer: string, messageId: string, tx: Tx): Promise<boolean> {
    const { rowCount } = await this.#unitOfWork.query(tx, this.#sql.record, [consumer, messageId]);
    return rowCount === 1;
  }
}
