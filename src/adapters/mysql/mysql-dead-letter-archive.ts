import type { Pool } from 'mysql2/promise';
import { assertSqlUnitOfWork } from '../../deferred/assert-sql-unit-of-work.js';
import type { SqlUnitOfWork } from '../../deferred/sql-unit-of-work.js';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { assertKnownOptions, describeValue, optionKeys } from '../../internal/options.js';
import type {
  ArchivedDeadLetter,
  ArchivedStatus,
} from '../../messaging/dead-letters/archived-dead-letter.js';
import { DeadLetterArchiveCore } from '../../messaging/dead-letters/dead-letter-archive-core.js';
import type {
  ArchivedFilter,
  ArchivedListFilter,
  ArchiveOptions,
  ArchivePurgeOptions,
  ArchiveReplayOptions,
  ArchiveReplaySummary,
  ArchiveSummary,
} from '../../messaging/dead-letters/dead-letter-archive-options.js';
import { defaultAppId } from '../../messaging/defaults.js';
import type { DeadLetterNames } from '../../messaging/names.js';
import type { Transport } from '../../messaging/transport.js';
import {
  mysqlDeadLetterArchiveNames,
  mysqlDeadLetterArchiveStatements,
  type MysqlDeadLetterArchiveNameOptions,
  type MysqlDeadLetterArchiveNames,
} from './mysql-dead-letter-archive-sql.js';
import { MysqlDeadLetterArchiveStore } from './mysql-dead-letter-archive-store.js';
import { poolExecutor, unitOfWorkExecutor, type MysqlExecutor } from './mysql-executor.js';
import { poolOfUnitOfWork, promisePool } from './mysql-unit-of-work.js';

export interface MysqlDeadLetterArchiveOptions<Tx = unknown> extends MysqlDeadLetterArchiveNameOptions {
  /**
   * A `mysql2/promise` pool you create and manage (tidings never ends it). Give this or `unitOfWork`.
   * @defaultValue none
   */
  pool?: Pool;
  /**
   * A `MysqlUnitOfWork`, or an ORM's `SqlUnitOfWork` of dialect `'mysql'`: the archive runs its
   * statements through it, each operation in a transaction of its own (over a `MysqlUnitOfWork`'s pool,
   * lone statements go straight to the pool). Give this or `pool`.
   * @defaultValue none
   */
  unitOfWork?: SqlUnitOfWork<Tx>;
  /** The broker: `archive` takes dead letters from it, `replay` sends them back through it. */
  transport: Transport;
  /** Whose dead-letter queue is archived; rows are kept per application. @defaultValue process.env.TIDINGS_APP_ID ?? 'tidings' */
  appId?: string;
  /** @defaultValue `defaultDeadLetterNames(appId)` */
  deadLetter?: Partial<DeadLetterNames>;
}

/** Checked by the compiler against MysqlDeadLetterArchiveOptions: a key added there must be added here. */
const OPTION_KEYS = optionKeys<MysqlDeadLetterArchiveOptions>({
  pool: true,
  unitOfWork: true,
  transport: true,
  appId: true,
  deadLetter: true,
  table: true,
});

/**
 * The dead-letter archive in MySQL 8 or MariaDB 10.6+, the twin of `PgDeadLetterArchive` (same
 * operations, options and guarantees): `archive()` moves dead letters from the application's common
 * dead-letter queue into a table, where they can be looked at and handled one by one — replayed to their
 * queue or discarded — long after the queue would have been purged.
 *
 * A message is acked on the dead-letter queue only after its row is committed: if the process dies in
 * between, the message is still in the queue and a later run archives it; a row for it that did commit
 * is recognised by its fingerprint (`UNIQUE KEY (app_id, fingerprint)`), so it is never stored twice.
 * `replay()` marks a row replayed only after the broker confirmed its copy.
 *
 * @example
 * const pool = mysql.createPool({ uri: process.env.MYSQL_URL });
 * const archive = new MysqlDeadLetterArchive({ pool, transport, appId: 'billing' });
 * await archive.ensureSchema(); // or apply mysqlDeadLetterArchiveSchemaSql() in a migration
 * await archive.archive({ reason: 'repeats-exhausted' });
 * const [first] = await archive.list({ queue: 'billing.orders' });
 * await archive.replay({ ids: [first.id] });
 */
export class MysqlDeadLetterArchive<Tx = unknown> {
  readonly appId: string;
  readonly #names: MysqlDeadLetterArchiveNames;
  readonly #core: DeadLetterArchiveCore;

  constructor(options: MysqlDeadLetterArchiveOptions<Tx>) {
    assertKnownOptions(options, OPTION_KEYS, 'MysqlDeadLetterArchive');
    const executor = executorOf(options);
    if (typeof (options.transport as Partial<Transport> | undefined)?.publish !== 'function') {
      throw new InvalidArgumentError(
        `MysqlDeadLetterArchive: "transport" must be a Transport, got ${describeValue(options.transport)}`,
      );
    }
    this.appId = options.appId ?? defaultAppId();
    this.#names = mysqlDeadLetterArchiveNames(options);
    const store = new MysqlDeadLetterArchiveStore(executor, mysqlDeadLetterArchiveStatements(this.#names));
    this.#core = new DeadLetterArchiveCore(store, options.transport, this.appId, options.deadLetter);
  }

  /** The validated table name (`table`, `quotedTable`). */
  get names(): MysqlDeadLetterArchiveNames {
    return this.#names;
  }

  /** The dead-letter exchange and queue archived from. */
  get deadLetterNames(): DeadLetterNames {
    return this.#core.deadLetterNames;
  }

  /**
   * Creates the table and its keys if they do not exist (see `mysqlDeadLetterArchiveSchemaSql`); safe
   * to call from several processes at once. Call it outside any transaction: MySQL commits a transaction
   * implicitly at a DDL statement.
   */
  ensureSchema(): Promise<void> {
    return this.#core.ensureSchema();
  }

  /**
   * Moves matching dead letters from the queue into the table, oldest first: each message is acked only
   * after its row is committed. A message the database refuses (a data error: a value too long, say)
   * stays in the queue and is reported in `failed`; any other database error (connection lost, table
   * missing) stops the run and rejects, every message not yet archived back in the queue.
   */
  archive(options: ArchiveOptions = {}): Promise<ArchiveSummary> {
    return this.#core.archive(options);
  }

  /** Archived dead letters, oldest first: pending ones unless `status` says otherwise, 100 at most unless `limit` does. */
  list(filter: ArchivedListFilter = {}): Promise<ArchivedDeadLetter[]> {
    return this.#core.list(filter);
  }

  /** One archived dead letter of this application, whatever its status, or `undefined`. */
  get(id: string): Promise<ArchivedDeadLetter | undefined> {
    return this.#core.get(id);
  }

  /** How many rows of this application are in each status. */
  counts(): Promise<Record<ArchivedStatus, number>> {
    return this.#core.counts();
  }

  /**
   * Sends pending rows back to the queue they came from, exactly as `DeadLetters.replay` would have sent
   * the message, with publisher confirms. Rows are locked while their copies are in flight (a concurrent
   * replay skips them) and marked replayed only once confirmed. Delivery is at least once: if the process
   * dies after a confirm and before the mark commits, the row stays pending and a later replay sends it
   * again with the same message id.
   */
  replay(options: ArchiveReplayOptions = {}): Promise<ArchiveReplaySummary> {
    return this.#core.replay(options);
  }

  /** Marks pending rows as handled without replaying them. Resolves to the ids it marked. */
  discard(filter: ArchivedFilter): Promise<string[]> {
    return this.#core.discard(filter);
  }

  /**
   * Deletes rows archived before `olderThan`: replayed and discarded ones, and pending ones too with
   * `includePending`. Resolves to how many.
   */
  purge(options: ArchivePurgeOptions): Promise<number> {
    return this.#core.purge(options);
  }
}

/**
 * Its own executor, never the caller's transaction: a replay started inside one of the application's
 * transactions must still commit its marks by itself, right after the confirms.
 */
function executorOf<Tx>(options: MysqlDeadLetterArchiveOptions<Tx>): MysqlExecutor {
  const { unitOfWork, pool } = options ?? {};
  if ((unitOfWork === undefined) === (pool === undefined)) {
    throw new InvalidArgumentError('MysqlDeadLetterArchive: give either "unitOfWork" or "pool" (not both)');
  }
  if (unitOfWork === undefined) return poolExecutor(promisePool(pool, 'MysqlDeadLetterArchive'));
  assertSqlUnitOfWork(unitOfWork, 'mysql', 'MysqlDeadLetterArchive');
  const ownPool = poolOfUnitOfWork(unitOfWork);
  return ownPool === undefined
    ? unitOfWorkExecutor(unitOfWork, 'MysqlDeadLetterArchive.ensureSchema', 'MysqlDeadLetterArchive')
    : poolExecutor(ownPool);
}
