import type { Pool, PoolClient } from 'pg';
import { assertKnownOptions, optionKeys } from '../../internal/options.js';
import type { Inbox } from '../../messaging/inbox/inbox.js';
import {
  pgInboxNames,
  pgInboxStatements,
  type PgInboxNameOptions,
  type PgInboxNames,
  type PgInboxStatements,
} from './pg-inbox-sql.js';
import { poolOption } from './pg-pool-option.js';

export interface PgInboxOptions extends PgInboxNameOptions {
  /**
   * A `pg` `Pool` you create and manage (tidings never ends it). Only `ensureSchema()` uses it:
   * `record()` writes with the client of the handler's transaction.
   */
  pool: Pool;
}

const OPTION_KEYS = optionKeys<PgInboxOptions>({ pool: true, schema: true, table: true });

/**
 * The inbox in PostgreSQL: a `(consumer, message_id)` primary key, written with
 * `INSERT … ON CONFLICT DO NOTHING` in the handler's transaction. A concurrent duplicate waits on the
 * first one's row lock and then finds it (or, if that transaction rolled back, takes its place).
 *
 * @example
 * const inbox = new PgInbox({ pool });
 * await inbox.ensureSchema(); // or apply pgInboxSchemaSql() in a migration
 * consumer.consume(idempotent({ inbox, unitOfWork, consumer: 'billing' }, async (message, tx) => { … }));
 */
export class PgInbox implements Inbox<PoolClient> {
  readonly #pool: Pool;
  readonly #names: PgInboxNames;
  readonly #sql: PgInboxStatements;

  constructor(options: PgInboxOptions) {
    assertKnownOptions(options, OPTION_KEYS, 'PgInbox');
    this.#pool = poolOption(options?.pool, 'PgInbox');
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
    await this.#pool.query(this.#sql.ensureSchema);
  }

  async record(consumer: string, messageId: string, tx: PoolClient): Promise<boolean> {
    const result = await tx.query(this.#sql.record, [consumer, messageId]);
    return result.rowCount === 1;
  }
}
