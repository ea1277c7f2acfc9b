import type { Attributes } from '@opentelemetry/api';
import type { Settlement } from '../consumer/decide-settlement.js';
import type { MessagingMetrics } from './messaging-metrics.js';
import { ATTR, errorType, MESSAGING_SYSTEM } from './semconv.js';

/** A settle decision (what `decideSettlement` answers once the handler ran, or instead of running it). */
type Decided = Exclude<Settlement, { kind: 'handle' }>;

/**
 * Records a settle: its `messaging.client.operation.duration` (operation `ack`, type `settle`: the ack of
 * the delivery, preceded for a repeat or dead letter by its copy's publish), and for a repeat or a dead
 * letter, `tidings.consumer.repeats` or `tidings.consumer.dead_letters` (with the reason) — counted once
 * per decision: a decision that could not be completed on its delivery is completed on the redelivery
 * without being counted again. `failure`: the settle itself failed (`error.type` on the duration only).
 */
export function recordSettle(
  metrics: MessagingMetrics,
  settlement: Decided,
  where: { readonly queue: string; readonly exchange: string },
  durationS: number,
  failure: { error: unknown } | undefined,
): void {
  const attributes: Attributes = {
    [ATTR.system]: MESSAGING_SYSTEM,
    [ATTR.operationType]: 'settle',
    [ATTR.operationName]: 'ack',
    [ATTR.destination]: where.exchange,
    [ATTR.subscription]: where.queue,
  };
  if (failure !== undefined) {
    metrics.operationDuration.record(durationS, {
      ...attributes,
      [ATTR.errorType]: errorType(failure.error),
    });
    return;
  }
  metrics.operationDuration.record(durationS, attributes);
  if (settlement.kind === 'ack') return;
  const counted: Attributes = {
    [ATTR.system]: MESSAGING_SYSTEM,
    [ATTR.destination]: where.exchange,
    [ATTR.subscription]: where.queue,
    [ATTR.errorType]: errorType(settlement.error),
  };
  if (settlement.kind === 'repeat') {
    metrics.repeats.add(1, counted);
  } else {
    counted[ATTR.deadLetterReason] = settlement.reason;
    metrics.deadLetters.add(1, counted);
  }
}
