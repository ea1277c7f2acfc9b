import type { EventEmitter } from 'eventemitter3';
import type { ConsumerEvents } from '../consumer/consumer-events.js';
import type { ComponentLog } from './component-log.js';

/**
 * Writes a consumer's warnings (with their own codes: `repeat-counter-unavailable`,
 * `repeat-counter-restored`, `settle-lost`) and errors (`copy-publish-failed`: a repeat or dead letter
 * that could not be published yet, retried) to its log as well, events unchanged.
 */
export function logConsumerEvents(
  consumer: EventEmitter<ConsumerEvents>,
  queue: string,
  log: ComponentLog,
): void {
  if (!log.enabled) return;
  consumer.on('warning', ({ code, message, error }) =>
    log.warn(code, message, { queue, ...(error === undefined ? {} : { err: error }) }),
  );
  consumer.on('error', (error) => log.error('copy-publish-failed', error.message, { queue, err: error }));
}
