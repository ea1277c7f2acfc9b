import type { Pool, PoolConnection } from 'mysql2/promise';
import type { SqlUnitOfWork } from '../../deferred/sql-unit-of-work.js';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { assertKnownOptions, describeValue, optionKeys } from '../../internal/options.js';
import type { Inbox } from '../../messaging/inbox/inbox.js';
import { poolExecutor, unitOfWorkExecutor, type MysqlExecutor } from './mysql-executor.js';
import { MAX_IDENTIFIER_LENGTH, mysqlIdentifier, quoteIdentifier } from './mysql-identifier.js';
import { assertSqlUnitOfWork } from '../../deferred/assert-sql-unit-of-work.js';
import { MysqlUnitOfWork, poolOfUnitOfWork, promisePool } from './mysql-unit-of-work.js';

export interface MysqlInboxNameOptions {
  /**
   * The inbox table, in the connection's database.
   * @defaultValue 'tidings_inbox'
   */
  table?: string;
}

/** Checked by the compiler against MysqlInboxNameOptions: a key added there must be added here. */
const MYSQL_INBOX_NAME_OPTION_KEYS = optionKeys<MysqlInboxNameOptions>({ table: true });

export interface MysqlInboxOptions<Tx = PoolConnection> extends MysqlInboxNameOptions {
  /**
   * The unit of work whose transactions `record` writes in (a `MysqlUnitOfWork`, or an ORM's
   * `SqlUnitOfWork` of dialect `'mysql'`). Give this or `pool`.
   * @defaultValue a `MysqlUnitOfWork` over `pool`
   */
  unitOfWork?: SqlUnitOfWork<Tx>;
  /**
   * A `mysql2/promise` pool: the shorthand for `unitOfWork: new MysqlUnitOfWork({ pool })`.
   * @defaultValue none
   */
  pool?: Pool;
}

/** Checked by the compiler against MysqlInboxOptions: a key added there must be added here. */
const MYSQL_INBOX_OPTION_KEYS = optionKeys<MysqlInboxOptions>({ unitOfWork: true, pool: true, table: true });

/** The key columns are VARCHAR(255): a longer consumer or message id would be cut by the server. */
const MAX_KEY_LENGTH = 255;

/**
 * The DDL of the inbox, idempotent: a `(consumer, message_id)` primary key and when it was processed
 * (UTC). For a migration tool or the `mysql` client; `MysqlInbox.ensureSchema()` runs the same statement.
 *
 * @example
 * await connection.query(mysqlInboxSchemaSql({ table: 'billing_inbox' }));
 */
export function mysqlInboxSchemaSql(options: MysqlInboxNameOptions = {}): string {
  assertKnownOptions(options, MYSQL_INBOX_NAME_OPTION_KEYS, 'mysqlInboxSchemaSql');
  return `${createTable(inboxTable(options.table, 'mysqlInboxSchemaSql'))};\n`;
}

function inboxTable(table: unknown, where: string): string {
  return quoteIdentifier(mysqlIdentifier(table, 'tidings_inbox', `${where}: table`, MAX_IDENTIFIER_LENGTH));
}

function createTable(quotedTable: string): string {
  return `CREATE TABLE IF NOT EXISTS ${quotedTable} (
  consumer VARCHAR(${MAX_KEY_LENGTH}) NOT NULL,
  message_id VARCHAR(${MAX_KEY_LENGTH}) NOT NULL,
  processed_at DATETIME(3) NOT NULL,
  PRIMARY KEY (consumer, message_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin`;
}

/**
 * The inbox in MySQL or MariaDB: a `(consumer, message_id)` primary key, written with `INSERT IGNORE`
 * in the handler's transaction. A concurrent duplicate waits on the first one's row lock and then finds
 * it (or, if that transaction rolled back, takes its place). `IGNORE` turns only the duplicate key into
 * "not inserted" here: the values are checked first, so no other error can be ignored.
 *
 * @example
 * const inbox = new MysqlInbox({ unitOfWork });
 * await inbox.ensureSchema();
 * consumer.consume(idempotent({ inbox, unitOfWork, consumer: 'billing' }, async (message, connection) => { … }));
 */
export class MysqlInbox<Tx = PoolConnection> implements Inbox<Tx> {
  readonly #unitOfWork: SqlUnitOfWork<Tx>;
  readonly #executor: MysqlExecutor;
  readonly #table: string;

  constructor(options: MysqlInboxOptions<Tx>) {
    assertKnownOptions(options, MYSQL_INBOX_OPTION_KEYS, 'MysqlInbox');
    const { unitOfWork, pool } = options ?? {};
    if ((unitOfWork === undefined) === (pool === undefined)) {
      throw new InvalidArgumentError('MysqlInbox: give either "unitOfWork" or "pool" (not both)');
    }
    if (unitOfWork !== undefined) {
      assertSqlUnitOfWork(unitOfWork, 'mysql', 'MysqlInbox');
      this.#unitOfWork = unitOfWork;
    } else {
      this.#unitOfWork = new MysqlUnitOfWork({
        pool: promisePool(pool, 'MysqlInbox'),
      }) as unknown as SqlUnitOfWork<Tx>;
    }
    const ownPool = poolOfUnitOfWork(this.#unitOfWork);
    this.#executor =
      ownPool === undefined
        ? unitOfWorkExecutor(this.#unitOfWork, 'MysqlInbox.ensureSchema')
        : poolExecutor(ownPool);
    this.#table = inboxTable(options.table, 'MysqlInbox');
  }

  /** Creates the table if it does not exist. Call it outside any transaction (DDL commits implicitly). */
  async ensureSchema(): Promise<void> {
    await this.#executor.session((query) => query(createTable(this.#table)));
  }

  async record(consumer: string, messageId: string, tx: Tx): Promise<boolean> {
    for (const [name, value] of [
      ['consumer', consumer],
      ['messageId', messageId],
    ] as const) {
      if (typeof value !== 'string' || value.length === 0 || value.length > MAX_KEY_LENGTH) {
        throw new InvalidArgumentError(
          `MysqlInbox.record: ${name} must be a string of 1 to ${MAX_KEY_LENGTH} characters, got ${describeValue(value)}`,
        );
      }
    }
    const { rowCount } = await this.#unitOfWork.query(
      tx,
      `INSERT IGNORE INTO ${this.#table} (consumer, message_id, processed_at) VALUES (?, ?, UTC_TIMESTAMP(3))`,
      [consumer, messageId],
    );
    return rowCount === 1;
  }
}
