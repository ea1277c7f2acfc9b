import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { assertKnownOptions, describeValue } from '../../internal/options.js';
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
import { OPTION_KEYS, type PgDeadLetterArchiveOptions } from './pg-dead-letter-archive-options.js';
import {
  pgDeadLetterArchiveNames,
  pgDeadLetterArchiveStatements,
  type PgDeadLetterArchiveNames,
} from './pg-dead-letter-archive-sql.js';
import { PgDeadLetterArchiveStore } from './pg-dead-letter-archive-store.js';
import { pgExecutor, unitOfWorkOption } from './pg-executor.js';

/**
 * The dead-letter archive in PostgreSQL: `archive()` moves dead letters from the application's common
 * dead-letter queue into a table, where they can be looked at and handled one by one — replayed to
 * their queue or discarded — long after the queue would have been purged.
 *
 * A message is acked on the dead-letter queue only after its row is committed: if the process dies in
 * between, the message is still in the queue and a later run archives it; a row for it that did commit
 * is recognised by its fingerprint (`UNIQUE (app_id, fingerprint)`), so it is never stored twice.
 * `replay()` marks a row replayed only after the broker confirmed its copy.
 *
 * It runs over a `pg` pool, or any PostgreSQL `SqlUnitOfWork` (an ORM's), each operation in a
 * transaction of its own. `MysqlDeadLetterArchive` (`tidings/mysql`) is the same archive on MySQL.
 *
 * @example
 * const archive = new PgDeadLetterArchive({ pool, transport, appId: 'billing' });
 * await archive.ensureSchema();
 * await archive.archive({ reason: 'repeats-exhausted' });
 * const [first] = await archive.list({ queue: 'billing.orders' });
 * await archive.replay({ ids: [first.id] });
 */
export class PgDeadLetterArchive<Tx = unknown> {
  readonly appId: string;
  readonly #names: PgDeadLetterArchiveNames;
  readonly #core: DeadLetterArchiveCore;

  constructor(options: PgDeadLetterArchiveOptions<Tx>) {
    assertKnownOptions(options, OPTION_KEYS, 'PgDeadLetterArchive');
    // Its own executor, not the caller's transaction: a replay started inside one of the application's
    // transactions must still commit its marks by itself, right after the confirms.
    const executor = pgExecutor(unitOfWorkOption(options, 'PgDeadLetterArchive'), 'PgDeadLetterArchive');
    if (typeof (options.transport as Partial<Transport> | undefined)?.publish !== 'function') {
      throw new InvalidArgumentError(
        `PgDeadLetterArchive: "transport" must be a Transport, got ${describeValue(options.transport)}`,
      );
    }
    this.appId = options.appId ?? defaultAppId();
    this.#names = pgDeadLetterArchiveNames(options);
    const store = new PgDeadLetterArchiveStore(executor, pgDeadLetterArchiveStatements(this.#names));
    this.#core = new DeadLetterArchiveCore(store, options.transport, this.appId, options.deadLetter);
  }

  /** The validated table names (`qualifiedTable`, …). */
  get names(): PgDeadLetterArchiveNames {
    return this.#names;
  }

  /** The dead-letter exchange and queue archived from. */
  get deadLetterNames(): DeadLetterNames {
    return this.#core.deadLetterNames;
  }

  /**
   * Creates the table, its unique key and index if they do not exist (see `pgDeadLetterArchiveSchemaSql`).
   * Safe to call from several processes at once: they take turns on an advisory lock.
   */
  ensureSchema(): Promise<void> {
    return this.#core.ensureSchema();
  }

  /**
   * Moves matching dead letters from the queue into the table, oldest first: each message is acked only
   * after its row is committed. A message PostgreSQL refuses (a data error) stays in the queue and is
   * reported in `failed`; any other database error (connection lost, table missing) stops the run and
   * rejects, every message not yet archived back in the queue.
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
   * the message (same body and properties, bookkeeping headers removed, attempts reset), with publisher
   * confirms. Rows are locked while their copies are in flight (a concurrent replay skips them) and
   * marked replayed only once confirmed. Delivery is at least once: if the process dies after a confirm
   * and before the mark commits, the row stays pending and a later replay sends it again with the same
   * message id.
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
