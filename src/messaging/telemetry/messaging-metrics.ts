import type { Attributes, Counter, Histogram, MeterProvider } from '@opentelemetry/api';
import { meteringOtel } from './otel-api.js';
import { ATTR, errorType, MESSAGING_SYSTEM, METRICS, TRACER_NAME } from './semconv.js';
import { safely } from './telemetry-failure.js';

/** The metrics tidings records on the message path: the messaging conventions' and its own. */
export interface MessagingMetrics {
  /** `messaging.client.sent.messages`: messages tidings attempted to publish, failed ones with `error.type`. */
  readonly sent: Counter;
  /** `messaging.client.consumed.messages`: deliveries handed to the consumer's processing. */
  readonly consumed: Counter;
  /** `messaging.process.duration`: from a delivery's arrival to its settling, in seconds. */
  readonly processDuration: Histogram;
  /** `messaging.client.operation.duration`: a publish (to its confirm) or a settle, in seconds. */
  readonly operationDuration: Histogram;
  /** `tidings.consumer.repeats`: deliveries sent round again after their handler failed. */
  readonly repeats: Counter;
  /** `tidings.consumer.dead_letters`: deliveries dead-lettered, by `tidings.dead_letter.reason`. */
  readonly deadLetters: Counter;
}

/** The conventions' advice for both duration histograms (seconds). */
export const DURATION_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/**
 * The instruments of each meter provider, made once: a provider registered later (or again, as tests
 * do) gets its own.
 */
const instruments = new WeakMap<MeterProvider, MessagingMetrics>();

/**
 * The instruments when an SDK registered a meter provider globally, else `undefined` (nothing
 * allocated). A meter that throws while they are made leaves them `undefined` too (reported once).
 */
export function messagingMetrics(): MessagingMetrics | undefined {
  const otel = meteringOtel();
  if (otel === undefined) return undefined;
  return safely(otel, () => instrumentsOf(otel.metrics.getMeterProvider()), undefined);
}

function instrumentsOf(provider: MeterProvider): MessagingMetrics {
  let found = instruments.get(provider);
  if (found !== undefined) return found;
  const meter = provider.getMeter(TRACER_NAME);
  const duration = (name: string, description: string) =>
    meter.createHistogram(name, {
      unit: 's',
      description,
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
    });
  found = {
    sent: meter.createCounter(METRICS.sent, {
      unit: '{message}',
      description: 'Number of messages producer attempted to send to the broker.',
    }),
    consumed: meter.createCounter(METRICS.consumed, {
      unit: '{message}',
      description: 'Number of messages that were delivered to the application.',
    }),
    processDuration: duration(METRICS.processDuration, 'Duration of processing operation.'),
    operationDuration: duration(
      METRICS.operationDuration,
      'Duration of messaging operation initiated by a producer or consumer client.',
    ),
    repeats: meter.createCounter(METRICS.repeats, {
      unit: '{message}',
      description: 'Deliveries whose handler failed, sent round again to their queue.',
    }),
    deadLetters: meter.createCounter(METRICS.deadLetters, {
      unit: '{message}',
      description: 'Deliveries moved to the dead letters, by reason.',
    }),
  };
  instruments.set(provider, found);
  return found;
}

/**
 * Counts one publish and records its duration (`send`); `failure` when it failed. Low-cardinality
 * attributes only: no message id, no routing key.
 */
export function recordSent(
  metrics: MessagingMetrics,
  exchange: string,
  started: number,
  failure?: { error: unknown },
): void {
  const attributes: Attributes = {
    [ATTR.system]: MESSAGING_SYSTEM,
    [ATTR.operationName]: 'send',
    [ATTR.destination]: exchange,
  };
  if (failure !== undefined) attributes[ATTR.errorType] = errorType(failure.error);
  metrics.sent.add(1, attributes);
  // Its own object: the SDK may keep the one given to `add`.
  metrics.operationDuration.record(elapsedS(started), { ...attributes, [ATTR.operationType]: 'send' });
}

/** Seconds since `started` (a `performance.now()`). */
export function elapsedS(started: number): number {
  return (performance.now() - started) / 1000;
}
