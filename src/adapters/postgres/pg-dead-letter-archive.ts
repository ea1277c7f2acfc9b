import type { Pool, PoolClient } from 'pg';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { assertKnownOptions, describeValue, integerOption } from '../../internal/options.js';
import type {
  ArchivedDeadLetter,
  ArchivedStatus,
} from '../../messaging/dead-letters/archived-dead-letter.js';
import { DeadLetters } from '../../messaging/dead-letters/dead-letters.js';
import { replayMessage } from '../../messaging/dead-letters/replay-message.js';
import { defaultAppId } from '../../messaging/defaults.js';
import type { DeadLetterNames } from '../../messaging/names.js';
import type { Transport } from '../../messaging/transport.js';
import {
  ARCHIVE_KEYS,
  DISCARD_KEYS,
  LIST_KEYS,
  OPTION_KEYS,
  PURGE_KEYS,
  REPLAY_KEYS,
  type ArchivedFilter,
  type ArchivedListFilter,
  type ArchiveOptions,
  type ArchivePurgeOptions,
  type ArchiveReplayOptions,
  type ArchiveReplaySummary,
  type ArchiveSummary,
  type PgDeadLetterArchiveOptions,
} from './pg-dead-letter-archive-options.js';
import { archiveParameters, fromArchiveRecord, type ArchiveRecord } from './pg-dead-letter-archive-row.js';
import { archiveId, archiveSelection } from './pg-dead-letter-archive-selection.js';
import {
  pgDeadLetterArchiveNames,
  pgDeadLetterArchiveStatements,
  type PgDeadLetterArchiveNames,
  type PgDeadLetterArchiveStatements,
} from './pg-dead-letter-archive-sql.js';
import { poolOption } from './pg-pool-option.js';
import { PgUnitOfWork } from './pg-unit-of-work.js';

const DEFAULT_LIST_LIMIT = 100;
const DEFAULT_BATCH_SIZE = 100;
/** SQLSTATE classes 22 (data exception) and 23 (integrity constraint): this row is refused, not the database down. */
const REFUSED_ROW = /^2[23]/;

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
 * @example
 * const archive = new PgDeadLetterArchive({ pool, transport, appId: 'billing' });
 * await archive.ensureSchema();
 * await archive.archive({ reason: 'repeats-exhausted' });
 * const [first] = await archive.list({ queue: 'billing.orders' });
 * await archive.replay({ ids: [first.id] });
 */
export class PgDeadLetterArchive {
  readonly appId: string;
  readonly #pool: Pool;
  readonly #transport: Transport;
  readonly #deadLetters: DeadLetters;
  readonly #names: PgDeadLetterArchiveNames;
  readonly #sql: PgDeadLetterArchiveStatements;
  readonly #unitOfWork: PgUnitOfWork;

  constructor(options: PgDeadLetterArchiveOptions) {
    assertKnownOptions(options, OPTION_KEYS, 'PgDeadLetterArchive');
    const pool = poolOption(options?.pool, 'PgDeadLetterArchive');
    if (typeof (options.transport as Partial<Transport> | undefined)?.publish !== 'function') {
      throw new InvalidArgumentError(
        `PgDeadLetterArchive: "transport" must be a Transport, got ${describeValue(options.transport)}`,
      );
    }
    this.appId = options.appId ?? defaultAppId();
    this.#pool = pool;
    this.#transport = options.transport;
    this.#deadLetters = new DeadLetters(options.transport, {
      appId: this.appId,
      ...(options.deadLetter !== undefined ? { deadLetter: options.deadLetter } : {}),
    });
    this.#names = pgDeadLetterArchiveNames(options);
    this.#sql = pgDeadLetterArchiveStatements(this.#names);
    // A unit of work of its own: a replay started inside one of the application's transactions must
    // still commit its marks by itself, right after the confirms.
    this.#unitOfWork = new PgUnitOfWork({ pool });
  }

  /** The validated table names (`qualifiedTable`, …). */
  get names(): PgDeadLetterArchiveNames {
    return this.#names;
  }

  /** The dead-letter exchange and queue archived from. */
  get deadLetterNames(): DeadLetterNames {
    return this.#deadLetters.names;
  }

  /**
   * Creates the table, its unique key and index if they do not exist (see `pgDeadLetterArchiveSchemaSql`).
   * Safe to call from several processes at once: they take turns on an advisory lock.
   */
  async ensureSchema(): Promise<void> {
    await this.#pool.query(this.#sql.ensureSchema);
  }

  /**
   * Moves matching dead letters from the queue into the table, oldest first: each message is acked only
   * after its row is committed. A message PostgreSQL refuses (a data error) stays in the queue and is
   * reported in `failed`; any other database error (connection lost, table missing) stops the run and
   * rejects, every message not yet archived back in the queue.
   */
  async archive(options: ArchiveOptions = {}): Promise<ArchiveSummary> {
    assertKnownOptions(options, ARCHIVE_KEYS, 'archive');
    const { onProgress, ...filter } = options;
    const summary: ArchiveSummary = { scanned: 0, archived: 0, duplicates: 0, skipped: 0, failed: [] };
    const waiting = (await this.#transport.queueStats(this.#deadLetters.names.queue))?.messageCount ?? 0;
    const total = Math.min(waiting, options.limit ?? Infinity);
    let done = 0;
    const source = { appId: this.appId, deadLetterQueue: this.#deadLetters.names.queue };
    const counts = await this.#deadLetters.visit(filter, async (deadLetter) => {
      let outcome: 'archived' | 'duplicate' | 'failed';
      let id: string | undefined;
      try {
        // One statement outside any transaction: it has committed when the query resolves.
        const { rows } = await this.#pool.query<{ id: string; added: boolean }>(
          this.#sql.insert,
          archiveParameters(deadLetter, source),
        );
        id = rows[0]?.id;
        outcome = rows[0]?.added === false || rows.length === 0 ? 'duplicate' : 'archived';
      } catch (error) {
        if (!REFUSED_ROW.test(String((error as { code?: unknown }).code))) throw error;
        summary.failed.push({ messageId: deadLetter.messageId, error: (error as Error).message });
        outcome = 'failed';
      }
      if (outcome === 'archived') summary.archived++;
      if (outcome === 'duplicate') summary.duplicates++;
      onProgress?.({ done: ++done, total, deadLetter, outcome, id });
      return outcome === 'failed' ? 'keep' : 'remove';
    });
    summary.scanned = counts.scanned;
    summary.skipped = counts.skipped;
    return summary;
  }

  /** Archived dead letters, oldest first: pending ones unless `status` says otherwise, 100 at most unless `limit` does. */
  async list(filter: ArchivedListFilter = {}): Promise<ArchivedDeadLetter[]> {
    assertKnownOptions(filter, LIST_KEYS, 'list');
    const status = filter.status ?? 'pending';
    if (!['pending', 'replayed', 'discarded', 'all'].includes(status)) {
      throw new InvalidArgumentError(
        `list: status must be 'pending', 'replayed', 'discarded' or 'all', got ${describeValue(status)}`,
      );
    }
    const afterId = filter.afterId === undefined ? '0' : archiveId(filter.afterId, 'list: afterId');
    const limit = integerOption(filter.limit, DEFAULT_LIST_LIMIT, 'list: limit', 1);
    const { rows } = await this.#pool.query<ArchiveRecord>(
      this.#sql.select,
      archiveSelection(this.appId, filter, status === 'all' ? null : status, afterId, limit),
    );
    return rows.map(fromArchiveRecord);
  }

  /** One archived dead letter of this application, whatever its status, or `undefined`. */
  async get(id: string): Promise<ArchivedDeadLetter | undefined> {
    archiveId(id, 'get: id');
    const { rows } = await this.#pool.query<ArchiveRecord>(
      this.#sql.select,
      archiveSelection(this.appId, { ids: [id] }, null, '0', 1),
    );
    return rows[0] === undefined ? undefined : fromArchiveRecord(rows[0]);
  }

  /** How many rows of this application are in each status. */
  async counts(): Promise<Record<ArchivedStatus, number>> {
    const { rows } = await this.#pool.query<{ status: ArchivedStatus; count: number }>(this.#sql.counts, [
      this.appId,
    ]);
    const counts: Record<ArchivedStatus, number> = { pending: 0, replayed: 0, discarded: 0 };
    for (const row of rows) counts[row.status] = Number(row.count);
    return counts;
  }

  /**
   * Sends pending rows back to the queue they came from, exactly as `DeadLetters.replay` would have sent
   * the message (same body and properties, bookkeeping headers removed, attempts reset), with publisher
   * confirms. Rows are locked while their copies are in flight (a concurrent replay skips them) and
   * marked replayed only once confirmed. Delivery is at least once: if the process dies after a confirm
   * and before the mark commits, the row stays pending and a later replay sends it again with the same
   * message id.
   */
  async replay(options: ArchiveReplayOptions = {}): Promise<ArchiveReplaySummary> {
    assertKnownOptions(options, REPLAY_KEYS, 'replay');
    const dryRun = options.dryRun === true;
    const batchSize = integerOption(options.batchSize, DEFAULT_BATCH_SIZE, 'replay: batchSize', 1);
    const limit = integerOption(options.limit, Infinity, 'replay: limit', 1);
    const summary: ArchiveReplaySummary = { selected: 0, replayed: 0, failed: [], notPending: [], dryRun };
    const { rows: counted } = await this.#pool.query<{ count: number }>(
      this.#sql.count,
      archiveSelection(this.appId, options, 'pending', '0').slice(0, 6),
    );
    const total = Math.min(Number(counted[0]?.count ?? 0), limit);
    const seen = new Set<string>();
    let done = 0;
    let afterId = '0';
    while (done < limit) {
      const size = Math.min(batchSize, limit - done);
      const batch = await this.#unitOfWork.transaction(async (client: PoolClient) => {
        const { rows } = await client.query<ArchiveRecord>(
          dryRun ? this.#sql.select : this.#sql.selectForUpdate,
          archiveSelection(this.appId, options, 'pending', afterId, size),
        );
        const found = rows.map(fromArchiveRecord);
        const outcomes = dryRun ? found.map(() => undefined) : await this.#publishAll(found);
        const confirmed = found.filter((_, index) => !dryRun && outcomes[index] === undefined);
        if (confirmed.length > 0) {
          await client.query(this.#sql.markReplayed, [this.appId, confirmed.map((row) => row.id)]);
        }
        return { found, outcomes };
      });
      // Reported after the commit: a row counts as replayed once its mark is durable.
      for (const [index, row] of batch.found.entries()) {
        seen.add(row.id);
        summary.selected++;
        const error = batch.outcomes[index];
        if (error !== undefined) summary.failed.push({ id: row.id, messageId: row.messageId, error });
        else if (!dryRun) summary.replayed++;
        const outcome = dryRun ? 'dry-run' : error === undefined ? 'replayed' : 'failed';
        options.onProgress?.({ done: ++done, total, row, outcome });
      }
      if (batch.found.length < size) break;
      afterId = batch.found[batch.found.length - 1]!.id;
    }
    summary.notPending = (options.ids ?? []).filter((id) => !seen.has(id));
    return summary;
  }

  /** Marks pending rows as handled without replaying them. Resolves to the ids it marked. */
  async discard(filter: ArchivedFilter): Promise<string[]> {
    assertKnownOptions(filter, DISCARD_KEYS, 'discard');
    const limit = integerOption(filter.limit, Infinity, 'discard: limit', 1);
    const { rows } = await this.#pool.query<{ id: string }>(
      this.#sql.discard,
      archiveSelection(this.appId, filter, 'pending', '0', limit === Infinity ? null : limit),
    );
    return rows.map((row) => row.id);
  }

  /**
   * Deletes rows archived before `olderThan`: replayed and discarded ones, and pending ones too with
   * `includePending`. Resolves to how many.
   */
  async purge(options: ArchivePurgeOptions): Promise<number> {
    assertKnownOptions(options, PURGE_KEYS, 'purge');
    const olderThan = options?.olderThan as unknown;
    if (!(olderThan instanceof Date) || Number.isNaN(olderThan.getTime())) {
      throw new InvalidArgumentError(
        `purge: olderThan must be a valid Date, got ${describeValue(olderThan)}`,
      );
    }
    const result = await this.#pool.query(this.#sql.purge, [
      this.appId,
      olderThan.toISOString(),
      options.includePending === true,
    ]);
    return result.rowCount ?? 0;
  }

  /** Publishes the replays of `rows` together; resolves to each one's error message, or undefined once confirmed. */
  async #publishAll(rows: readonly ArchivedDeadLetter[]): Promise<(string | undefined)[]> {
    const results = await Promise.allSettled(
      rows.map(async (row) => {
        if (row.queue === undefined) throw new Error('the original queue is unknown');
        await this.#transport.publish(replayMessage({ ...row, queue: row.queue }));
      }),
    );
    return results.map((result) =>
      result.status === 'fulfilled' ? undefined : String((result.reason as Error)?.message ?? result.reason),
    );
  }
}
