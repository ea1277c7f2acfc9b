import type { PoolClient } from 'pg';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { assertKnownOptions } from '../../internal/options.js';
import type { Inbox } from '../../messaging/inbox/inbox.js';

export interface PgInboxOptions {
  /** @defaultValue 'tidings_inbox' */
  table?: string;
  /** @defaultValue 'public' */
  schema?: string;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The inbox in PostgreSQL: a `(consumer, message_id)` primary key, written with
 * `INSERT … ON CONFLICT DO NOTHING` in the handler's transaction. A concurrent duplicate waits on the
 * first one's row lock and then finds it (or, if that transaction rolled back, takes its place).
 *
 * @example
 * const inbox = new PgInbox();
 * await inbox.ensureSchema(pool);
 * consumer.consume(idempotent({ inbox, unitOfWork, consumer: 'billing' }, async (message, tx) => { … }));
 */
export class PgInbox implements Inbox<PoolClient> {
  readonly #table: string;

  constructor(options: PgInboxOptions = {}) {
    assertKnownOptions(options, ['table', 'schema'], 'PgInbox');
    const table = options.table ?? 'tidings_inbox';
    const schema = options.schema ?? 'public';
    for (const name of [table, schema]) {
      if (!IDENTIFIER.test(name)) {
        throw new InvalidArgumentError(`PgInbox: "${name}" is not a plain lower-case SQL identifier`);
      }
    }
    this.#table = `"${schema}"."${table}"`;
  }

  /** The DDL, for migrations of your own. */
  get schemaSql(): string {
    return (
      `CREATE TABLE IF NOT EXISTS ${this.#table} (\n` +
      `  consumer text NOT NULL,\n  message_id text NOT NULL,\n  processed_at timestamptz NOT NULL DEFAULT now(),\n` +
      `  PRIMARY KEY (consumer, message_id)\n)`
    );
  }

  async ensureSchema(client: { query(sql: string): Promise<unknown> }): Promise<void> {
    await client.query(this.schemaSql);
  }

  async record(consumer: string, messageId: string, tx: PoolClient): Promise<boolean> {
    const result = await tx.query(
      `INSERT INTO ${this.#table} (consumer, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
      [consumer, messageId],
    );
    return result.rowCount === 1;
  }
}
