import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'eventemitter3';
import type { Transport } from '../transport.js';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { Backoff } from '../../internal/backoff.js';
import { assertKnownOptions, describeValue, integerOption } from '../../internal/options.js';
import { ComponentLog } from '../logging/component-log.js';
import { loggerOption } from '../logging/logger.js';
import { logRelayEvents } from '../logging/log-relay-events.js';
import type { OutboxRelayHealth, OutboxRelayHealthOptions } from '../health/relay-health.js';
import {
  OUTBOX_RELAY_OPTION_KEYS,
  type OutboxRelayEvents,
  type OutboxRelayOptions,
} from './outbox-relay-options.js';
import { RelayHealthTracker } from './outbox-relay-health.js';
import { sleep } from '../../internal/signal.js';
import type { ClaimedRow, Outbox } from './outbox.js';
import { messageOfRow } from './outbox-message.js';
import { renewLeases } from './lease-renewal.js';
import { inFlight, type InFlightBatch } from './in-flight-batch.js';
import { recordOutcomes, type RelayOutcomeEvent } from './record-outcomes.js';
import { publishTraced } from '../telemetry/producer-spans.js';
import { observeOutbox, relayBatchClaimed } from '../telemetry/outbox-metrics.js';

export type { OutboxRelayEvents, OutboxRelayOptions } from './outbox-relay-options.js';

/** How often a relay that could not set up its LISTEN tries again. */
const LISTEN_RETRY_MS = 1000;

/**
 * Moves committed outbox rows to the broker: claims due rows under a lease, publishes them with
 * confirms, marks them published only after the broker confirmed. A row that fails is tried again
 * later with backoff and never holds up the others. Wakes on the outbox's notifications (NOTIFY, an
 * in-process nudge after a commit) and polls as the backstop; deletes old published rows.
 *
 * Delivery is at least once: a relay that dies after publishing and before marking leaves rows that
 * are published again (same message id) once its lease expires.
 *
 * @example
 * const relay = new OutboxRelay({ outbox, transport });
 * relay.on('error', (error) => log.warn(error));
 * relay.start();
 * // …
 * await relay.stop();
 */
export class OutboxRelay extends EventEmitter<OutboxRelayEvents> {
  readonly owner: string;
  readonly #outbox: Outbox<never>;
  readonly #transport: Transport;
  readonly #batchSize: number;
  readonly #leaseMs: number;
  readonly #pollIntervalMs: number;
  readonly #retry: Backoff;
  readonly #keepPublishedMs: number;
  readonly #housekeepingIntervalMs: number;
  #running: Promise<void> | undefined;
  #stopping = new AbortController();
  #wake: AbortController = new AbortController();
  /** A nudge that came while a batch was running: the loop goes round again instead of sleeping. */
  #nudged = false;
  #unwatch: (() => Promise<void>) | undefined;
  /** Unregisters the outbox gauges (outbox-metrics.ts) registered while running. */
  #unobserve: (() => void) | undefined;
  readonly #health: RelayHealthTracker;

  constructor(options: OutboxRelayOptions) {
    super();
    assertKnownOptions(options, OUTBOX_RELAY_OPTION_KEYS, 'OutboxRelay');
    if (typeof options?.outbox?.claim !== 'function')
      throw new InvalidArgumentError('OutboxRelay: "outbox" is required');
    if (typeof options.transport?.publish !== 'function') {
      throw new InvalidArgumentError('OutboxRelay: "transport" is required');
    }
    this.#outbox = options.outbox;
    this.#transport = options.transport;
    if (options.owner !== undefined && (typeof options.owner !== 'string' || options.owner === '')) {
      // The owner is written into every lease: an empty or non-string one cannot tell relays apart.
      throw new InvalidArgumentError(
        `OutboxRelay: owner must be a non-empty string, got ${describeValue(options.owner)}`,
      );
    }
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.#batchSize = integerOption(options.batchSize, 500, 'OutboxRelay: batchSize', 1);
    this.#leaseMs = integerOption(options.leaseMs, 30_000, 'OutboxRelay: leaseMs', 1);
    this.#pollIntervalMs = integerOption(options.pollIntervalMs, 1000, 'OutboxRelay: pollIntervalMs', 1);
    this.#retry = new Backoff(
      { initialDelayMs: 1000, maxDelayMs: 60_000, ...options.retry },
      'OutboxRelay: retry',
    );
    this.#keepPublishedMs = integerOption(
      options.keepPublishedMs,
      86_400_000,
      'OutboxRelay: keepPublishedMs',
      0,
    );
    this.#housekeepingIntervalMs = integerOption(
      options.housekeepingIntervalMs,
      60_000,
      'OutboxRelay: housekeepingIntervalMs',
      1,
    );
    logRelayEvents(this, new ComponentLog(loggerOption(options.logger, 'OutboxRelay'), 'OutboxRelay'));
    this.#health = new RelayHealthTracker(this, this.#outbox);
  }

  /**
   * Whether the relay keeps up, for probes: running, the outbox answering, the pending rows and the lag
   * (the age of the oldest unpublished row) within `maxLagMs`. Asks the outbox (`stats()`): one query.
   * @example
   * const { status, lagMs, pending } = await relay.health({ maxLagMs: 60_000 });
   */
  health(options: OutboxRelayHealthOptions = {}): Promise<OutboxRelayHealth> {
    return this.#health.health(this.#running !== undefined && !this.#stopping.signal.aborted, options);
  }

  /** Starts relaying in the background (idempotent). */
  start(): void {
    if (this.#running !== undefined) return;
    this.#stopping = new AbortController();
    this.#unobserve = observeOutbox(this.#outbox);
    this.#running = this.#loop();
  }

  /** Relays now instead of at the next poll (called after a local commit). */
  nudge(): void {
    this.#nudged = true;
    this.#wake.abort();
  }

  /**
   * Claims and publishes one batch; resolves to the number of rows published. For tests and the CLI:
   * the loop runs a pipelined version of it.
   */
  async relayOnce(): Promise<number> {
    const started = performance.now();
    const rows = await this.#outbox.claim(this.owner, this.#batchSize, this.#leaseMs);
    relayBatchClaimed(rows, started);
    if (rows.length === 0) return 0;
    return this.#settle(rows, await this.#publishRenewing(rows));
  }

  /**
   * What the loop runs: batches until a claim comes back short, pipelined so that neither the broker
   * nor the database waits for the other. A batch is published while the confirms of the one before
   * come in (waiting for them emptied the confirm window at each batch boundary); the next batch is
   * claimed before a batch is published; a batch's marks are written once its confirms are in, one
   * mark in flight, in claim order. Every row from its claim to its mark is in one renewal set. Stops
   * claiming at `until` (housekeeping is due), once stopping, and after a batch with failures (a broker
   * that refuses everything must not be fed the whole backlog at full speed: the batch claimed before
   * the failure was seen is the last one published); says whether more may be due.
   */
  async #relayPipelined(until: number): Promise<{ more: boolean }> {
    const held = new Set<ClaimedRow>();
    const renewing = this.#renewLeases(held);
    let more = false;
    let claimAhead = true;
    let marking: Promise<void> = Promise.resolve();
    /** The batch published before the current one, its confirms maybe still coming in. */
    let previous: InFlightBatch | undefined;
    const claim = (): Promise<ClaimedRow[]> => {
      const started = performance.now();
      const claimed = this.#outbox.claim(this.owner, this.#batchSize, this.#leaseMs).then((rows) => {
        relayBatchClaimed(rows, started);
        for (const row of rows) held.add(row);
        return rows;
      });
      claimed.catch(() => {}); // awaited on the next turn; a rejection meanwhile is not unhandled
      return claimed;
    };
    /** Waits for a batch's confirms, then queues its marks behind those of the batch before. */
    const settle = async (batch: InFlightBatch): Promise<void> => {
      const outcomes = await batch.publishing;
      const failed = outcomes.some((outcome) => outcome.status === 'rejected');
      // After failures no further claims: a batch already claimed is still published.
      if (failed) claimAhead = false;
      more = batch.rows.length === this.#batchSize && !failed;
      // Queued even after a mark failed (that mark is over: claim order holds), so that a batch whose
      // confirms are in is not published again; the failure is still thrown, and stops the pipeline.
      const before = marking;
      marking = before
        .catch(() => {})
        .then(() => this.#settle(batch.rows, outcomes))
        .then(
          () => void batch.rows.forEach((row) => held.delete(row)),
          (error: unknown) => {
            batch.rows.forEach((row) => held.delete(row));
            throw error;
          },
        );
      marking.catch(() => {}); // awaited on the next turn or below
      await before;
    };
    let drained = false;
    let next: Promise<ClaimedRow[]> | undefined = claim();
    try {
      while (next !== undefined) {
        const rows = await next;
        next = undefined;
        // Stopping: a batch claimed ahead is not published; stop() gives its leases back.
        if (rows.length === 0 || this.#stopping.signal.aborted) {
          drained = true;
          break;
        }
        const claimNext = rows.length === this.#batchSize;
        // The batch before confirmed already: settled first, so that the next claim (which then knows
        // whether it failed) runs in the database while this batch is being published. Publishing a
        // batch keeps the event loop busy for a while, and the claim must not wait for that.
        if (previous?.confirmed === true) {
          const confirmed = previous;
          previous = undefined; // settled once only, even if settle throws
          await settle(confirmed);
        }
        // The batch before is still being confirmed: the marks of the one before it are written first
        // (they usually are by now). So at most two batches are ever published and not yet marked:
        // what a relay killed at any moment leaves to be published again. Before the next claim, so
        // that a failed mark leaves one claimed batch to its lease's expiry, not two.
        if (previous !== undefined) await marking;
        // The next claim goes out before this batch is published, whether or not the batch before is
        // confirmed: the database claims while the broker confirms. Waiting for those confirms first
        // left the claim's round trip on the path of every batch (a before/after pair of bench:outbox
        // runs: 0.76× → 0.89× direct sending; benchmarks/outbox/README.md has the run-to-run spread).
        // A failure seen meanwhile stops the claim after this one.
        if (claimNext && this.#mayClaim(claimAhead, until)) next = claim();
        const before = previous;
        // The current batch is `previous` before anything can throw: the finally waits for its confirms.
        previous = inFlight(rows, this.#publishAll(rows));
        if (before !== undefined) await settle(before);
      }
      const last = previous;
      previous = undefined;
      if (last !== undefined) await settle(last);
      await marking;
      // After a failure the loop waits for the next poll even if the batch after it went through.
      return { more: more && claimAhead && !drained };
    } finally {
      // On an error (a claim or a mark failed), the batch being published is still marked once its
      // confirms are in, so that it is not published again; a batch claimed ahead stays leased to this
      // relay and is taken over once its lease expires (renewals stop here): nothing is released that
      // this relay might still be publishing.
      if (previous !== undefined) await settle(previous).catch(() => {});
      await marking.catch(() => {});
      await renewing.stop();
    }
  }

  /** Whether the pipeline claims another batch: no failure seen, housekeeping not due, not stopping. */
  #mayClaim(claimAhead: boolean, until: number): boolean {
    return claimAhead && Date.now() < until && !this.#stopping.signal.aborted;
  }

  #renewLeases(held: ReadonlySet<ClaimedRow>): { stop(): Promise<void> } {
    const onError = (error: unknown): void => this.#error(error);
    return renewLeases(held, { outbox: this.#outbox, owner: this.owner, leaseMs: this.#leaseMs, onError });
  }

  /** Publishes a batch (relayOnce), its leases renewed until every publish settled. */
  async #publishRenewing(rows: readonly ClaimedRow[]): Promise<PromiseSettledResult<void>[]> {
    const renewing = this.#renewLeases(new Set(rows));
    try {
      return await this.#publishAll(rows);
    } finally {
      await renewing.stop();
    }
  }

  /** Publishes every row of a batch at once; one outcome per row, in order. */
  #publishAll(rows: readonly ClaimedRow[]): Promise<PromiseSettledResult<void>[]> {
    return Promise.allSettled(rows.map((row) => this.#publish(row)));
  }

  /** Records the outcome of a published batch: failures with their backoff, then the marks. */
  #settle(rows: readonly ClaimedRow[], outcomes: readonly PromiseSettledResult<void>[]): Promise<number> {
    const notify = <E extends RelayOutcomeEvent>(event: E, ...args: OutboxRelayEvents[E]): void =>
      this.#notify(event, ...args);
    return recordOutcomes(
      { outbox: this.#outbox, owner: this.owner, retry: this.#retry, notify },
      rows,
      outcomes,
    );
  }

  /** Stops relaying, waits for the batch in progress, and gives up this relay's leases. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    this.#wake.abort();
    this.#unobserve?.();
    this.#unobserve = undefined;
    await this.#running;
    this.#running = undefined;
    await this.#outbox.release(this.owner).catch((error: unknown) => this.#error(error));
  }

  /** Listens for notifications; on failure reports it and leaves `#unwatch` unset to try again later. */
  async #listen(): Promise<void> {
    this.#unwatch = await this.#outbox
      .watch(() => this.nudge())
      .catch((error: unknown) => {
        this.#error(error); // polling still works without notifications meanwhile
        return undefined;
      });
  }

  async #loop(): Promise<void> {
    await this.#listen();
    let nextHousekeeping = 0;
    let nextListen = Date.now() + LISTEN_RETRY_MS;
    let failures = 0;
    try {
      while (!this.#stopping.signal.aborted) {
        let more = false;
        try {
          // A relay that could not listen (started while the database was down) tries again, at most
          // once a second, until it does: meanwhile every commit waits for a poll. Not tied to the
          // housekeeping, which may succeed just after a LISTEN failed and then wait a whole interval.
          if (this.#unwatch === undefined && Date.now() >= nextListen) {
            await this.#listen();
            nextListen = Date.now() + LISTEN_RETRY_MS;
          }
          if (Date.now() >= nextHousekeeping) {
            await this.#housekeeping();
            nextHousekeeping = Date.now() + this.#housekeepingIntervalMs;
          }
          ({ more } = await this.#relayPipelined(nextHousekeeping));
          failures = 0;
        } catch (error) {
          // The database or the broker is unreachable: report, back off, try again.
          this.#error(error);
          await sleep(this.#retry.delayMs(failures++), this.#stopping.signal);
          continue;
        }
        if (more) continue; // the last batch was full: more may be due, no pause
        this.#wake = new AbortController();
        if (this.#nudged) {
          this.#nudged = false;
          continue;
        }
        await sleep(this.#pollIntervalMs, AbortSignal.any([this.#wake.signal, this.#stopping.signal]));
        this.#nudged = false;
      }
    } finally {
      await this.#unwatch?.().catch((error: unknown) => this.#error(error));
      this.#unwatch = undefined;
    }
  }

  async #housekeeping(): Promise<void> {
    if (this.#keepPublishedMs > 0) {
      await this.#outbox.deletePublished(new Date(Date.now() - this.#keepPublishedMs), 10_000);
    }
    this.emit('metrics', await this.#outbox.stats());
  }

  /** Sends the row as the outbox stored it: the bytes and properties the direct path would have sent. */
  async #publish(row: ClaimedRow): Promise<void> {
    const message = { exchange: row.exchange, routingKey: row.routingKey, ...messageOfRow(row) };
    await publishTraced(this.#transport, message, undefined, 'outbox');
  }

  /**
   * Emits a batch's outcome. A listener that throws is reported as an `error`, not thrown into the
   * relay: the marks of the next batch must not be lost to it.
   */
  #notify<E extends RelayOutcomeEvent>(event: E, ...args: OutboxRelayEvents[E]): void {
    try {
      (this.emit as (event: E, ...args: OutboxRelayEvents[E]) => boolean)(event, ...args);
    } catch (error) {
      this.#error(error);
    }
  }

  #error(error: unknown): void {
    this.emit('error', error instanceof Error ? error : new Error(String(error)));
  }
}
