import type { BackoffOptions } from '../../internal/backoff.js';
import { optionKeys } from '../../internal/options.js';
import type { Logger } from '../logging/logger.js';
import type { Transport } from '../transport.js';
import type { Outbox, OutboxStats } from './outbox.js';

export interface OutboxRelayOptions {
  outbox: Outbox<never>;
  transport: Transport;
  /** Who holds the leases: unique per relay. @defaultValue `<hostname>:<pid>:<random>` */
  owner?: string;
  /**
   * Rows claimed (and published in parallel) at a time. A relay that crashes before its marks leaves at
   * most two batches published but unmarked (a batch goes out while the one before is confirmed or
   * marked, never before the one before that is marked): they are published again. @defaultValue 500
   */
  batchSize?: number;
  /**
   * How long a claim is held; a relay that dies lets its rows go after this. A live relay extends the
   * leases of a batch that takes longer. @defaultValue 30000
   */
  leaseMs?: number;
  /** The backstop when no notification comes. @defaultValue 1000 */
  pollIntervalMs?: number;
  /** Delays before a failed row is tried again, by its attempts. @defaultValue `{ initialDelayMs: 1000, maxDelayMs: 60000 }` */
  retry?: BackoffOptions;
  /** Published rows are deleted after this age; 0 keeps them. @defaultValue 86400000 (24 h) */
  keepPublishedMs?: number;
  /** How often retention and metrics run. @defaultValue 60000 */
  housekeepingIntervalMs?: number;
  /**
   * Also writes the relay's reports to this logger (`console`, pino): a row not published
   * (`relay-publish-failed`) and rows fenced (`relay-fenced`) as warnings, an error the relay retries by
   * itself (`relay-error`) as an error. The events stay as they are.
   * @defaultValue none: the events only
   */
  logger?: Logger;
}

export interface OutboxRelayEvents {
  /** A batch was published and marked. */
  published: [info: { count: number }];
  /** A row could not be published; it is tried again at about `retryAt` (by the outbox's clock). */
  failed: [info: { id: string; attempts: number; error: Error; retryAt: Date }];
  /** Rows published by this relay but marked by another after a lease was lost (a duplicate went out). */
  fenced: [info: { ids: string[] }];
  metrics: [stats: OutboxStats];
  /** Something went wrong that the relay retries by itself (the database or broker is unreachable). */
  error: [error: Error];
}

/** Every option key; unknown keys are rejected naming the key. */
export const OUTBOX_RELAY_OPTION_KEYS = optionKeys<OutboxRelayOptions>({
  outbox: true,
  transport: true,
  owner: true,
  batchSize: true,
  leaseMs: true,
  pollIntervalMs: true,
  retry: true,
  keepPublishedMs: true,
  housekeepingIntervalMs: true,
  logger: true,
});
