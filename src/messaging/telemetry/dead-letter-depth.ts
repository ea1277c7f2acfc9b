import type { MeterProvider, ObservableGauge, ObservableResult } from '@opentelemetry/api';
import type { Transport } from '../transport.js';
import { meteringOtel } from './otel-api.js';
import { singleFlight } from '../../internal/single-flight.js';
import { COLLECTION_TIMEOUT_MS } from './collection-timeout.js';
import { ATTR, METRICS, TRACER_NAME } from './semconv.js';
import { safely } from './telemetry-failure.js';

/** One dead-letter queue being watched: by how many consumers, and how to stop. */
interface Watch {
  consumers: number;
  readonly unregister: () => void;
}

/** The gauge of each meter provider. */
const gauges = new WeakMap<MeterProvider, ObservableGauge>();
/** The dead-letter queues watched, per transport: consumers of one app share their dead-letter queue. */
const watched = new WeakMap<Pick<Transport, 'queueStats'>, Map<string, Watch>>();

/**
 * While a consumer consumes, `tidings.dead_letter.queue.depth`: the messages waiting in its dead-letter
 * queue, when a meter provider is registered globally (else nothing: `undefined`). The count is asked of
 * the broker (`queueStats`: RabbitMQ's passive `queue.declare`, on a short-lived channel) once per
 * collection of the metrics and per dead-letter queue — never on the message path — however many
 * consumers share the queue. Returns what the consumer calls when it closes; the last one to close
 * unregisters the gauge's callback.
 */
export function observeDeadLetterDepth(
  transport: Pick<Transport, 'queueStats'>,
  queue: string,
): (() => void) | undefined {
  const otel = meteringOtel();
  if (otel === undefined) return undefined;
  let byQueue = watched.get(transport);
  if (byQueue === undefined) watched.set(transport, (byQueue = new Map<string, Watch>()));
  let watch = byQueue.get(queue);
  if (watch === undefined) {
    const unregister = safely(
      otel,
      () => watchDepth(otel.metrics.getMeterProvider(), transport, queue),
      undefined,
    );
    if (unregister === undefined) return undefined;
    watch = { consumers: 0, unregister };
    byQueue.set(queue, watch);
  }
  watch.consumers++;
  const registered = watch;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--registered.consumers > 0) return;
    if (byQueue.get(queue) === registered) byQueue.delete(queue);
    safely(meteringOtel(), registered.unregister, undefined);
  };
}

function watchDepth(
  provider: MeterProvider,
  transport: Pick<Transport, 'queueStats'>,
  queue: string,
): () => void {
  let gauge = gauges.get(provider);
  if (gauge === undefined) {
    gauge = provider.getMeter(TRACER_NAME).createObservableGauge(METRICS.deadLetterQueueDepth, {
      unit: '{message}',
      description: 'Messages waiting in a dead-letter queue.',
    });
    gauges.set(provider, gauge);
  }
  const attributes = { [ATTR.deadLetterQueue]: queue };
  // One question at a time: collections while the broker does not answer wait for the one running.
  const depthOnce = singleFlight(() => transport.queueStats(queue), COLLECTION_TIMEOUT_MS, 'The broker');
  const callback = async (result: ObservableResult): Promise<void> => {
    // A broker that does not answer (or a queue not declared yet) leaves this collection without it.
    const stats = await depthOnce();
    if (stats !== undefined) result.observe(stats.messageCount, attributes);
  };
  const observed = gauge;
  observed.addCallback(callback);
  return () => observed.removeCallback(callback);
}
