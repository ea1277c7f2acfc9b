import type { EventEmitter } from 'eventemitter3';
import type { OutboxRelayEvents } from '../outbox/outbox-relay-options.js';
import type { ComponentLog } from './component-log.js';

/**
 * Writes an outbox relay's reports to its log as well, events unchanged: a row not published
 * (`relay-publish-failed`, retried later) and rows another relay marked after this one's lease was lost
 * (`relay-fenced`: a duplicate went out) as warnings; an error the relay retries by itself
 * (`relay-error`: the database or the broker unreachable) as an error.
 */
export function logRelayEvents(relay: EventEmitter<OutboxRelayEvents>, log: ComponentLog): void {
  if (!log.enabled) return;
  relay.on('failed', ({ id, attempts, error, retryAt }) =>
    log.warn(
      'relay-publish-failed',
      `Outbox relay: row ${id} not published (attempt ${attempts}), retried at about ${retryAt.toISOString()}: ${error.message}`,
      { id, attempts, retryAt, err: error },
    ),
  );
  relay.on('fenced', ({ ids }) =>
    log.warn(
      'relay-fenced',
      `Outbox relay: ${ids.length} row(s) published by this relay were marked by another after its lease was lost (published twice)`,
      { ids },
    ),
  );
  relay.on('error', (error) => log.error('relay-error', `Outbox relay: ${error.message}`, { err: error }));
}
