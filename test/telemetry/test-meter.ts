// A MeterProvider registered globally with a reader the test collects from when it wants, instead of
// on a timer: metric values are asserted exactly.
import { metrics, type Attributes } from '@opentelemetry/api';
import {
  MeterProvider,
  MetricReader,
  type DataPoint,
  type Histogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';

class TestReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

export interface TestMeter {
  /** The metric named `name` of the `tidings` scope, collected now. */
  collected(name: string): Promise<MetricData | undefined>;
  /** Its data points as attributes and value (a histogram's: its count), sorted by attributes. */
  points(name: string): Promise<{ attributes: Attributes; value: number }[]>;
  /** The sum of its values (counts of a histogram). */
  total(name: string): Promise<number>;
  shutdown(): Promise<void>;
}

export function installMeter(): TestMeter {
  const reader = new TestReader();
  const provider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(provider);
  const collected = async (name: string) => {
    const { resourceMetrics } = await reader.collect();
    return resourceMetrics.scopeMetrics
      .filter((scope) => scope.scope.name === 'tidings')
      .flatMap((scope) => scope.metrics)
      .find((metric) => metric.descriptor.name === name);
  };
  const points = async (name: string) =>
    (((await collected(name))?.dataPoints ?? []) as DataPoint<number | Histogram>[])
      .map((point) => ({
        attributes: point.attributes,
        value: typeof point.value === 'number' ? point.value : point.value.count,
      }))
      .sort((a, b) => JSON.stringify(a.attributes).localeCompare(JSON.stringify(b.attributes)));
  return {
    collected,
    points,
    async total(name) {
      return (await points(name)).reduce((sum, point) => sum + point.value, 0);
    },
    shutdown: () => provider.shutdown(),
  };
}

/** Polls `read` until it returns `expected` (metrics are recorded after `settled` is emitted). */
export async function eventually<T>(read: () => Promise<T>, expected: T, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (JSON.stringify(await read()) !== JSON.stringify(expected)) {
    if (Date.now() > deadline) throw new Error(`still ${JSON.stringify(await read())} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
