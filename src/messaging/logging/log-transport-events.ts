import type { EventEmitter } from 'eventemitter3';
import type { TransportEvents } from '../transport.js';
import type { ComponentLog } from './component-log.js';

/**
 * Writes a transport's lifecycle events to its log as well, events unchanged: a lost connection and a
 * blocked one are warnings, an error no caller waits for (a failed reconnect, a consumer that could not
 * be resumed) an error, connecting and unblocking news. The URLs in these events are redacted already.
 */
export function logTransportEvents(transport: EventEmitter<TransportEvents>, log: ComponentLog): void {
  if (!log.enabled) return;
  transport.on('connected', ({ url }) => log.info('transport-connected', `Connected to ${url}`, { url }));
  transport.on('disconnected', ({ url, error }) => {
    if (error === undefined) log.info('transport-closed', `Closed the connection to ${url}`, { url });
    else log.warn('transport-disconnected', error.message, { url, err: error });
  });
  transport.on('blocked', (reason) =>
    log.warn('transport-blocked', `The broker blocks publishing: ${reason}`, { reason }),
  );
  transport.on('unblocked', () => log.info('transport-unblocked', 'The broker unblocked publishing'));
  transport.on('error', (error) =>
    log.error('transport-error', `Transport: ${error.message}`, { err: error }),
  );
}
