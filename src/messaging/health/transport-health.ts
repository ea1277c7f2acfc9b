import type { HealthStatus } from './health-status.js';

/**
 * The connection state of a transport: `idle` before first use (transports connect lazily),
 * `connecting` (first connection or a reconnect, with backoff), `open`, `closing` and `closed`.
 */
export type TransportState = 'idle' | 'connecting' | 'open' | 'closing' | 'closed';

/** What `Transport.health()` reports, for readiness probes. */
export interface TransportHealth {
  /** `'up'` while a connection is open and the broker does not block it; else `'down'`. */
  status: HealthStatus;
  state: TransportState;
  /** Whether a connection is open right now (`state === 'open'`). */
  connected: boolean;
  /**
   * Whether the broker blocks publishing on the connection (a RabbitMQ memory or disk alarm):
   * publishes wait (up to their timeout) until it unblocks.
   */
  blocked: boolean;
  /** The broker's reason while it blocks the connection. */
  blockedReason?: string;
  /** The broker: the URL in use or being tried, its password masked (`memory://` for the memory transport). */
  url: string;
  /** When `state` last changed (the transport's creation, before anything happened). */
  since: Date;
}
