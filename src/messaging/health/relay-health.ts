import type { HealthStatus } from './health-status.js';

/** What `OutboxRelay.health()` reports, for probes and alerts. */
export interface OutboxRelayHealth {
  /**
   * `'up'` while the relay runs, the outbox answers, and the lag is within `maxLagMs` (when given);
   * else `'down'`, with `reason` saying which.
   */
  status: HealthStatus;
  /** Why the relay is down: `'stopped'`, `'outbox-unavailable'` or `'lagging'`. */
  reason?: 'stopped' | 'outbox-unavailable' | 'lagging';
  /** Whether the relay loop runs (between `start()` and `stop()`). */
  running: boolean;
  /** When this relay last published and marked a batch. */
  lastBatchAt?: Date;
  /** The last error the relay reported (its `error` event), and when. Not cleared by later successes. */
  lastError?: { message: string; at: Date };
  /** Rows not yet published (`Outbox.stats()`); absent when the outbox could not be asked. */
  pending?: number;
  /**
   * The lag: how long the oldest unpublished row has been waiting (`oldestPendingAgeMs` of
   * `Outbox.stats()`, by the database's clock), 0 when none is; a row waiting for a retry counts.
   * Absent when the outbox could not be asked.
   */
  lagMs?: number;
  /** The threshold the lag was compared with, when one was given. */
  maxLagMs?: number;
}

/** Options of `OutboxRelay.health()`. */
export interface OutboxRelayHealthOptions {
  /** A lag above this makes the relay `'down'` (`reason: 'lagging'`). @defaultValue no threshold */
  maxLagMs?: number;
}
