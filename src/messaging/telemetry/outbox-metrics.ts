import type { BatchObservableResult, Histogram, Meter, MeterProvider, Observable } from '@opentelemetry/api';
import type { ClaimedRow, OutboxStats } from '../outbox/outbox.js';
import { elapsedS, DURATION_BUCKETS_S } from './messaging-metrics.js';
import { meteringOtel } from './otel-api.js';
import { singleFlight } from '../../internal/single-flight.js';
import { COLLECTION_TIMEOUT_MS } from './collection-timeout.js';
import { METRICS, TRACER_NAME } from './semconv.js';
import { safely } from './telemetry-failure.js';

/** The outbox's gauges and the relay's batch histograms, made once per meter provider. */
interface OutboxInstruments {
  readonly meter: Meter;
  readonly pending: Observable;
  readonly lag: Observable;
  readonly inFlight: Observable;
  readonly failing: Observable;
  readonly batchDuration: Histogram;
  readonly batchSize: Histogram;
}

/** Rows per batch: the default batch is 500. */
const BATCH_SIZE_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];

const instruments = new WeakMap<MeterProvider, OutboxInstruments>();

function outboxInstruments(): OutboxInstruments | undefined {
  const otel = meteringOtel();
  if (otel === undefined) return undefined;
  return safely(
    otel,
    () => {
      const provider = otel.metrics.getMeterProvider();
      let found = instruments.get(provider);
      if (found !== undefined) return found;
      const meter = provider.getMeter(TRACER_NAME);
      found = {
        meter,
        pending: meter.createObservableGauge(METRICS.outboxPending, {
          unit: '{row}',
          description: 'Outbox rows not yet published.',
        }),
        lag: meter.createObservableGauge(METRICS.outboxLag, {
          unit: 's',
          description: 'Age of the oldest outbox row not yet published (0 when there is none).',
        }),
        inFlight: meter.createObservableGauge(METRICS.outboxInFlight, {
          unit: '{row}',
          description: 'Outbox rows under a live lease: being published right now.',
        }),
        failing: meter.createObservableGauge(METRICS.outboxFailing, {
          unit: '{row}',
          description: 'Outbox rows not yet published that failed at least once.',
        }),
        batchDuration: meter.createHistogram(METRICS.relayBatchDuration, {
          unit: 's',
          description: 'Duration of a relay batch, from its claim to its marks.',
          advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
        }),
        batchSize: meter.createHistogram(METRICS.relayBatchSize, {
          unit: '{row}',
          description: 'Rows claimed, published and marked in one relay batch.',
          advice: { explicitBucketBoundaries: BATCH_SIZE_BUCKETS },
        }),
      };
      instruments.set(provider, found);
      return found;
    },
    undefined,
  );
}

/**
 * While a relay runs, the outbox's gauges (`tidings.outbox.pending`, `.lag`, `.in_flight`, `.failing`)
 * when a meter provider is registered globally; else nothing (`undefined`). They are read from
 * `outbox.stats()` once per collection of the metrics (one query each export interval, never one per
 * message). Returns what the relay calls when it stops, so that a stopped relay is no longer asked.
 */
export function observeOutbox(outbox: { stats(): Promise<OutboxStats> }): (() => void) | undefined {
  const found = outboxInstruments();
  if (found === undefined) return undefined;
  const { meter, pending, lag, inFlight, failing } = found;
  const observables = [pending, lag, inFlight, failing];
  // One query at a time: collections while the database does not answer wait for the one running.
  const statsOnce = singleFlight(() => outbox.stats(), COLLECTION_TIMEOUT_MS, 'The outbox');
  const callback = async (result: BatchObservableResult): Promise<void> => {
    // A database that does not answer leaves this collection without outbox gauges; the SDK goes on.
    const stats = await statsOnce();
    result.observe(pending, stats.pending);
    result.observe(lag, stats.oldestPendingAgeMs / 1000);
    result.observe(inFlight, stats.inFlight);
    result.observe(failing, stats.failing);
  };
  return safely(
    meteringOtel(),
    () => {
      meter.addBatchObservableCallback(callback, observables);
      return () =>
        safely(meteringOtel(), () => meter.removeBatchObservableCallback(callback, observables), undefined);
    },
    undefined,
  );
}

/** When each batch being relayed was claimed (`performance.now()`), while a meter provider is registered. */
const claimedAt = new WeakMap<readonly ClaimedRow[], number>();

/** A batch was claimed (its claim started at `started`): timed until its marks are written. */
export function relayBatchClaimed(rows: readonly ClaimedRow[], started: number): void {
  if (rows.length > 0 && meteringOtel() !== undefined) claimedAt.set(rows, started);
}

/** A batch's marks are written: `tidings.outbox.relay.batch.duration` and `.size` are recorded. */
export function relayBatchMarked(rows: readonly ClaimedRow[]): void {
  const started = claimedAt.get(rows);
  if (started === undefined) return;
  claimedAt.delete(rows);
  const found = outboxInstruments();
  if (found === undefined) return;
  safely(
    meteringOtel(),
    () => {
      found.batchDuration.record(elapsedS(started));
      found.batchSize.record(rows.length);
    },
    undefined,
  );
}
