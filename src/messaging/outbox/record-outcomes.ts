import type { Backoff } from '../../internal/backoff.js';
import { relayBatchMarked } from '../telemetry/outbox-metrics.js';
import type { OutboxRelayEvents } from './outbox-relay-options.js';
import type { ClaimedRow, FailedRow, Outbox } from './outbox.js';

/** The events a batch's outcome is reported by. */
export type RelayOutcomeEvent = 'published' | 'failed' | 'fenced';

/** What recording a batch's outcome needs of its relay. */
export interface OutcomeContext {
  readonly outbox: Outbox<never>;
  readonly owner: string;
  readonly retry: Backoff;
  /** Emits an event; a listener that throws must not stop the marks (the relay reports it instead). */
  readonly notify: <E extends RelayOutcomeEvent>(event: E, ...args: OutboxRelayEvents[E]) => void;
}

/**
 * Records the outcome of a published batch: the failures with their backoff (one statement), then the
 * marks of the rows the broker confirmed. Reports each failure this relay still held, the rows it could
 * no longer mark (`fenced`: another relay took them over) and how many it marked. Returns how many rows
 * were published.
 */
export async function recordOutcomes(
  { outbox, owner, retry, notify }: OutcomeContext,
  rows: readonly ClaimedRow[],
  outcomes: readonly PromiseSettledResult<void>[],
): Promise<number> {
  const published: ClaimedRow[] = [];
  const failures: (FailedRow & { cause: Error; attempts: number })[] = [];
  for (const [index, outcome] of outcomes.entries()) {
    const row = rows[index]!;
    if (outcome.status === 'fulfilled') {
      published.push(row);
      continue;
    }
    const cause = outcome.reason instanceof Error ? outcome.reason : new Error(String(outcome.reason));
    failures.push({
      id: row.id,
      leaseToken: row.leaseToken,
      error: `${cause.name}: ${cause.message}`,
      retryInMs: retry.delayMs(row.attempts),
      cause,
      attempts: row.attempts + 1,
    });
  }
  if (failures.length > 0) {
    const recorded = new Set(await outbox.markFailed(owner, failures));
    const now = Date.now();
    // Reported only while this relay still held the row: otherwise another relay owns its fate.
    for (const failure of failures) {
      if (!recorded.has(failure.id)) continue;
      const retryAt = new Date(now + failure.retryInMs); // by this host's clock: an estimate
      notify('failed', { id: failure.id, attempts: failure.attempts, error: failure.cause, retryAt });
    }
  }
  if (published.length > 0) {
    const marked = await outbox.markPublished(owner, published);
    if (marked.length < published.length) {
      const markedIds = new Set(marked);
      notify('fenced', {
        ids: published.filter((row) => !markedIds.has(row.id)).map((row) => row.id),
      });
    }
    notify('published', { count: marked.length });
  }
  relayBatchMarked(rows);
  return published.length;
}
