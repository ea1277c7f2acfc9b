import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { assertKnownOptions, describeValue, integerOption } from '../../internal/options.js';
import type { DeadLetterNames } from '../names.js';
import type { Transport } from '../transport.js';
import { archiveRow } from './archive-row.js';
import { archiveId, archiveSelection } from './archive-selection.js';
import type { ArchivedDeadLetter, ArchivedStatus } from './archived-dead-letter.js';
import {
  ARCHIVE_KEYS,
  DISCARD_KEYS,
  LIST_KEYS,
  PURGE_KEYS,
  REPLAY_KEYS,
  type ArchivedFilter,
  type ArchivedListFilter,
  type ArchiveOptions,
  type ArchivePurgeOptions,
  type ArchiveReplayOptions,
  type ArchiveReplaySummary,
  type ArchiveSummary,
} from './dead-letter-archive-options.js';
import type { DeadLetterArchiveStore } from './dead-letter-archive-store.js';
import { DeadLetters } from './dead-letters.js';
import { replayMessage } from './replay-message.js';
import { publishCopy } from '../telemetry/copy-spans.js';

const DEFAULT_LIST_LIMIT = 100;
const DEFAULT_BATCH_SIZE = 100;
const STATUSES: readonly (ArchivedStatus | 'all')[] = ['pending', 'replayed', 'discarded', 'all'];

/**
 * The dead-letter archive's operations over any `DeadLetterArchiveStore`: `PgDeadLetterArchive` and
 * `MysqlDeadLetterArchive` check their options, build their store and hand every call to this, so that
 * both keep the same guarantees (row first, ack after; marked replayed only once confirmed) and the same
 * summaries. Not exported: the archives are the public API.
 */
export class DeadLetterArchiveCore {
  readonly #store: DeadLetterArchiveStore;
  readonly #transport: Transport;
  readonly #deadLetters: DeadLetters;

  constructor(
    store: DeadLetterArchiveStore,
    transport: Transport,
    readonly appId: string,
    deadLetter: Partial<DeadLetterNames> | undefined,
  ) {
    this.#store = store;
    this.#transport = transport;
    this.#deadLetters = new DeadLetters(transport, {
      appId,
      ...(deadLetter !== undefined ? { deadLetter } : {}),
    });
  }

  get deadLetterNames(): DeadLetterNames {
    return this.#deadLetters.names;
  }

  ensureSchema(): Promise<void> {
    return this.#store.ensureSchema();
  }

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
        // Committed when it resolves: only then may the message leave the queue.
        const inserted = await this.#store.insert(archiveRow(deadLetter, source));
        id = inserted.id;
        outcome = inserted.added ? 'archived' : 'duplicate';
      } catch (error) {
        // Any other error (connection lost, table missing) stops the run: what is left stays queued.
        if (!this.#store.refusesRow(error)) throw error;
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

  async list(filter: ArchivedListFilter = {}): Promise<ArchivedDeadLetter[]> {
    assertKnownOptions(filter, LIST_KEYS, 'list');
    const status = filter.status ?? 'pending';
    if (!STATUSES.includes(status)) {
      throw new InvalidArgumentError(
        `list: status must be 'pending', 'replayed', 'discarded' or 'all', got ${describeValue(status)}`,
      );
    }
    const afterId = filter.afterId === undefined ? '0' : archiveId(filter.afterId, 'list: afterId');
    const limit = integerOption(filter.limit, DEFAULT_LIST_LIMIT, 'list: limit', 1);
    return this.#store.select(
      archiveSelection(this.appId, filter, status === 'all' ? null : status, afterId, limit),
    );
  }

  async get(id: string): Promise<ArchivedDeadLetter | undefined> {
    archiveId(id, 'get: id');
    const [row] = await this.#store.select(archiveSelection(this.appId, { ids: [id] }, null, '0', 1));
    return row;
  }

  async counts(): Promise<Record<ArchivedStatus, number>> {
    const found = await this.#store.counts(this.appId);
    return { pending: found.pending ?? 0, replayed: found.replayed ?? 0, discarded: found.discarded ?? 0 };
  }

  async replay(options: ArchiveReplayOptions = {}): Promise<ArchiveReplaySummary> {
    assertKnownOptions(options, REPLAY_KEYS, 'replay');
    const dryRun = options.dryRun === true;
    const batchSize = integerOption(options.batchSize, DEFAULT_BATCH_SIZE, 'replay: batchSize', 1);
    const limit = integerOption(options.limit, Infinity, 'replay: limit', 1);
    const summary: ArchiveReplaySummary = { selected: 0, replayed: 0, failed: [], notPending: [], dryRun };
    const counted = await this.#store.count(archiveSelection(this.appId, options, 'pending', '0'));
    const total = Math.min(counted, limit);
    const seen = new Set<string>();
    let done = 0;
    let afterId = '0';
    while (done < limit) {
      const size = Math.min(batchSize, limit - done);
      const selection = archiveSelection(this.appId, options, 'pending', afterId, size);
      const errors = new Map<string, string>();
      const found = dryRun
        ? await this.#store.select(selection)
        : await this.#store.replayBatch(selection, async (rows) => {
            const outcomes = await this.#publishAll(rows);
            rows.forEach((row, index) => {
              const error = outcomes[index];
              if (error !== undefined) errors.set(row.id, error);
            });
            return rows.filter((row) => !errors.has(row.id)).map((row) => row.id);
          });
      // Reported after the commit: a row counts as replayed once its mark is durable.
      for (const row of found) {
        seen.add(row.id);
        summary.selected++;
        const error = errors.get(row.id);
        if (error !== undefined) summary.failed.push({ id: row.id, messageId: row.messageId, error });
        else if (!dryRun) summary.replayed++;
        const outcome = dryRun ? 'dry-run' : error === undefined ? 'replayed' : 'failed';
        options.onProgress?.({ done: ++done, total, row, outcome });
      }
      if (found.length < size) break;
      afterId = found[found.length - 1]!.id;
    }
    summary.notPending = (options.ids ?? []).filter((id) => !seen.has(id));
    return summary;
  }

  async discard(filter: ArchivedFilter): Promise<string[]> {
    assertKnownOptions(filter, DISCARD_KEYS, 'discard');
    const limit = integerOption(filter?.limit, Infinity, 'discard: limit', 1);
    return this.#store.discard(archiveSelection(this.appId, filter ?? {}, 'pending', '0', limit));
  }

  async purge(options: ArchivePurgeOptions): Promise<number> {
    assertKnownOptions(options, PURGE_KEYS, 'purge');
    const olderThan = options?.olderThan as unknown;
    if (!(olderThan instanceof Date) || Number.isNaN(olderThan.getTime())) {
      throw new InvalidArgumentError(
        `purge: olderThan must be a valid Date, got ${describeValue(olderThan)}`,
      );
    }
    return this.#store.purge(this.appId, olderThan, options.includePending === true);
  }

  /** Publishes the replays of `rows` together; resolves to each one's error message, or undefined once confirmed. */
  async #publishAll(rows: readonly ArchivedDeadLetter[]): Promise<(string | undefined)[]> {
    const results = await Promise.allSettled(
      rows.map(async (row) => {
        if (row.queue === undefined) throw new Error('the original queue is unknown');
        await publishCopy(this.#transport, replayMessage({ ...row, queue: row.queue }), 'replay');
      }),
    );
    return results.map((result) =>
      result.status === 'fulfilled' ? undefined : String((result.reason as Error)?.message ?? result.reason),
    );
  }
}
