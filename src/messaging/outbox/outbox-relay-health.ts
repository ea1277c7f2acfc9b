import type { EventEmitter } from 'eventemitter3';
import { assertKnownOptions, integerOption, optionKeys } from '../../internal/options.js';
import { singleFlight } from '../../internal/single-flight.js';
import type { OutboxRelayHealth, OutboxRelayHealthOptions } from '../health/relay-health.js';
import type { Outbox } from './outbox.js';
import type { OutboxRelayEvents } from './outbox-relay-options.js';

const HEALTH_OPTION_KEYS = optionKeys<OutboxRelayHealthOptions>({ maxLagMs: true });

/** A probe answers within this, `outbox-unavailable` when the database does not. */
const HEALTH_TIMEOUT_MS = 5000;

/**
 * What `OutboxRelay.health()` reports (internal): remembers the relay's last batch and last error from
 * its own events, and asks the outbox for the pending rows and the lag when asked.
 */
export class RelayHealthTracker {
  /** The outbox's stats, one query at a time and a probe never waiting more than 5 s for it. */
  readonly #stats: () => Promise<Awaited<ReturnType<Outbox<never>['stats']>>>;
  #lastBatchAt: number | undefined;
  #lastError: { message: string; at: number } | undefined;

  constructor(relay: EventEmitter<OutboxRelayEvents>, outbox: Pick<Outbox<never>, 'stats'>) {
    this.#stats = singleFlight(() => outbox.stats(), HEALTH_TIMEOUT_MS, 'The outbox');
    relay.on('published', () => void (this.#lastBatchAt = Date.now()));
    relay.on('error', (error) => void (this.#lastError = { message: error.message, at: Date.now() }));
  }

  async health(running: boolean, options: OutboxRelayHealthOptions): Promise<OutboxRelayHealth> {
    assertKnownOptions(options, HEALTH_OPTION_KEYS, 'OutboxRelay.health');
    const maxLagMs =
      options?.maxLagMs === undefined
        ? undefined
        : integerOption(options.maxLagMs, 0, 'OutboxRelay.health: maxLagMs', 0);
    const known: OutboxRelayHealth = {
      status: 'down',
      running,
      ...(this.#lastBatchAt !== undefined ? { lastBatchAt: new Date(this.#lastBatchAt) } : {}),
      ...(this.#lastError !== undefined
        ? { lastError: { message: this.#lastError.message, at: new Date(this.#lastError.at) } }
        : {}),
      ...(maxLagMs !== undefined ? { maxLagMs } : {}),
    };
    let stats;
    try {
      stats = await this.#stats();
    } catch (error) {
      // The outbox cannot be asked: that is the newest error, whatever the relay reported before.
      const message = error instanceof Error ? error.message : String(error);
      return { ...known, reason: 'outbox-unavailable', lastError: { message, at: new Date() } };
    }
    const measured = { ...known, pending: stats.pending, lagMs: stats.oldestPendingAgeMs };
    if (!running) return { ...measured, reason: 'stopped' };
    if (maxLagMs !== undefined && stats.oldestPendingAgeMs > maxLagMs) {
      return { ...measured, reason: 'lagging' };
    }
    return { ...measured, status: 'up' };
  }
}
