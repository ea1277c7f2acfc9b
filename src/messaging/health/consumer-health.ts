import type { HealthStatus } from './health-status.js';

/**
 * Where a consumer is: `idle` (created, `consume()` not called), `starting` (declaring its topology,
 * subscribing), `consuming`, `closing` (no new messages; running handlers finish) and `closed`.
 */
export type ConsumerState = 'idle' | 'starting' | 'consuming' | 'closing' | 'closed';

/** What `Consumer.health()` reports, for readiness probes. */
export interface ConsumerHealth {
  /**
   * `'up'` while consuming. A consumer whose transport lost its connection still says `consuming`: it
   * resumes on the next connection; the transport's health tells that.
   */
  status: HealthStatus;
  queue: string;
  state: ConsumerState;
  /** Whether it is subscribed (`state === 'consuming'`). */
  consuming: boolean;
  /** Deliveries being handled or settled right now (at most `prefetch`). */
  inFlight: number;
  prefetch: number;
  /** When `state` last changed. */
  since: Date;
}
