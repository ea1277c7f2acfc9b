import type { Attributes, Counter, Histogram, MeterProvider } from '@opentelemetry/api';
import { meteringOtel } from './otel-api.js';
import { ATTR, errorType, MESSAGING_SYSTEM, TRACER_NAME } from './semconv.js';

/** The messaging semantic conventions' metrics tidings records (messaging-metrics.md). */
export interface MessagingMetrics {
  /** `messaging.client.sent.messages`: messages tidings attempted to publish, failed ones with `error.type`. */
  readonly sent: Counter;
  /** `messaging.client.consumed.messages`: deliveries handed to the consumer's processing. */
  readonly consumed: Counter;
  /** `messaging.process.duration`: from a delivery's arrival to its settling, in seconds. */
  readonly processDuration: Histogram;
}

/** The conventions' advice for `messaging.process.duration` (seconds). */
const DURATION_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/**
 * The instruments of each meter provider, made once: a provider registered later (or again, as tests
 * do) gets its own.
 */
const instruments = new WeakMap<MeterProvider, MessagingMetrics>();

/** The instruments when an SDK registered a meter provider globally, else `undefined` (nothing allocated). */
export function messagingMetrics(): MessagingMetrics | undefined {
  const otel = meteringOtel();
  if (otel === undefined) return undefined;
  const provider = otel.metrics.getMeterProvider();
  let found = instruments.get(provider);
  if (found === undefined) {
    const meter = provider.getMeter(TRACER_NAME);
    found = {
      sent: meter.createCounter('messaging.client.sent.messages', {
        unit: '{message}',
        description: 'Number of messages producer attempted to send to the broker.',
      }),
      consumed: meter.createCounter('messaging.client.consumed.messages', {
        unit: '{message}',
        description: 'Number of messages that were delivered to the application.',
      }),
      processDuration: meter.createHistogram('messaging.process.duration', {
        unit: 's',
        description: 'Duration of processing operation.',
        advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
      }),
    };
    instruments.set(provider, found);
  }
  return found;
}

/**
 * Counts one publish; `failure` when it failed. Low-cardinality attributes only: no message id, no
 * routing key.
 */
export function countSent(metrics: MessagingMetrics, exchange: string, failure?: { error: unknown }): void {
  const attributes: Attributes = {
    [ATTR.system]: MESSAGING_SYSTEM,
    [ATTR.operationName]: 'send',
    [ATTR.destination]: exchange,
  };
  if (failure !== undefined) attributes[ATTR.errorType] = errorType(failure.error);
  metrics.sent.add(1, attributes);
}
