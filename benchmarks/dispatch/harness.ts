// The measuring part: scenario/case types, batch timing, and bytes allocated per operation.
import { GCProfiler } from 'node:v8';
import type { Tally } from './fixtures.js';

export type Library = 'tidings' | 'eventemitter3' | 'node:events' | 'mitt' | 'emittery';

/**
 * A ready-to-run case: fresh objects, listeners registered. `run(ops)` holds the loop itself, in the
 * case's own code, so the harness makes one call per batch: its call site never turns polymorphic
 * and adds nothing to the per-operation cost.
 */
export type Bench = SyncBench | AsyncBench;
export interface SyncBench {
  readonly kind: 'sync';
  readonly tally: Tally;
  run(ops: number): void;
}
export interface AsyncBench {
  readonly kind: 'async';
  readonly tally: Tally;
  run(ops: number): Promise<void>;
}

export interface Case {
  /** Row label, e.g. `tidings dispatchSync`. Unique within its scenario. */
  readonly label: string;
  readonly library: Library;
  /** Listener calls one operation makes: the harness checks the tally against it. */
  readonly callsPerOp: number;
  setup(): Bench;
}

export interface Goal {
  /** The tidings case the goal is about. */
  readonly label: string;
  /** Minimum ratio to the scenario's baseline, or to its fastest peer (`against: 'best peer'`). */
  readonly atLeast: number;
  /** Default `baseline`. `best peer`: the fastest of the scenario's peer cases (best fork each). */
  readonly against?: 'baseline' | 'best peer';
}

export interface Scenario {
  /** The file name without extension, e.g. `one-listener`. */
  readonly id: string;
  readonly title: string;
  /** Shown under the title: what is compared, and any way the comparison is not like for like. */
  readonly note?: string;
  /** Label of the case every ratio in this scenario is relative to. */
  readonly baseline: string;
  /** Label of the tidings case compared with the fastest peer (the project aims to beat it). */
  readonly primary: string;
  readonly goals?: readonly Goal[];
  readonly cases: readonly Case[];
}

export interface TimingOptions {
  /** Time spent running batches (and sizing them) before any sample counts: lets TurboFan settle. */
  readonly warmupMs: number;
  /**
   * Target duration of one sample; a single dispatch (~10-50 ns) is far below timer resolution, and
   * the CPU-time clock (`process.cpuUsage()`, microseconds) needs milliseconds to be precise.
   */
  readonly sampleMs: number;
  /** Sampling goes on until this much time has passed and `minSamples` are taken. */
  readonly durationMs: number;
  readonly minSamples: number;
  /** Smallest batch, whatever the calibration says. */
  readonly minBatch: number;
  /** The allocation measurement runs for about this long, and at most `allocMaxOps` operations. */
  readonly allocMs: number;
  readonly allocMaxOps: number;
}

export const DEFAULT_TIMING: TimingOptions = {
  warmupMs: 400,
  sampleMs: 10,
  durationMs: 600,
  minSamples: 30,
  minBatch: 10_000,
  allocMs: 100,
  allocMaxOps: 1_000_000,
};

/** A short run to check that everything works; its numbers mean little. */
export const QUICK_TIMING: TimingOptions = {
  warmupMs: 100,
  sampleMs: 5,
  durationMs: 150,
  minSamples: 10,
  minBatch: 1_000,
  allocMs: 20,
  allocMaxOps: 100_000,
};

export interface Measurement {
  /** Median over the samples of operations per second of this process's CPU time. */
  readonly opsPerSec: number;
  /** Median absolute deviation of the samples, relative to the median. */
  readonly mad: number;
  /** Median over the samples of operations per wall-clock second: lower when the CPU was shared. */
  readonly wallOpsPerSec: number;
  /** Median share of wall-clock time the process had a CPU (1 = it never waited for one). */
  readonly cpuShare: number;
  readonly samples: number;
  readonly batch: number;
  /** Heap bytes allocated per operation in steady state (GCs during the measurement accounted for). */
  readonly bytesPerOp: number;
  /** The listeners' running sum: printed so their work is observably used. */
  readonly checksum: number;
}

/** Warms up, times batches, measures allocation, and checks that every listener call happened. */
export async function measure(testCase: Case, options: TimingOptions): Promise<Measurement> {
  const bench = testCase.setup();
  let ops = 0;

  // Warm-up doubles as calibration: the batch is resized towards `sampleMs` after each run. Early runs
  // are slow (interpreter, baseline code), so growth is capped per step to avoid overshooting.
  let batch = options.minBatch;
  const warmupEnd = performance.now() + options.warmupMs;
  do {
    const ns = await timeBatch(bench, batch);
    ops += batch;
    const wanted = (batch * options.sampleMs * 1e6) / Math.max(ns, 1);
    batch = Math.max(options.minBatch, Math.round(Math.min(batch * 4, Math.max(batch / 2, wanted))));
  } while (performance.now() < warmupEnd);

  // Start clean so earlier garbage is not collected on the clock. GCs caused by the case itself do count:
  // allocating on every emit is part of what a library costs.
  collectGarbage();
  const rates: number[] = [];
  const wallRates: number[] = [];
  const cpuShares: number[] = [];
  const samplingEnd = performance.now() + options.durationMs;
  while (performance.now() < samplingEnd || rates.length < options.minSamples) {
    // The rate is taken against the process's CPU time, not the wall clock: on a shared machine (this
    // one has 2 cores and other jobs) a sample can lose most of its wall time to other processes, and
    // wall-clock rates then swing 2-3x between runs. CPU time (precise on Linux: the scheduler's
    // runtime, not ticks) only counts the time this process ran. Unloaded, the two agree: the cases
    // are single-threaded, and V8's helper threads add CPU time only for GC, i.e. to the allocating
    // cases, which is a cost they really have.
    const cpuStart = process.cpuUsage();
    const ns = await timeBatch(bench, batch);
    const cpu = process.cpuUsage(cpuStart);
    const cpuNs = (cpu.user + cpu.system) * 1000;
    ops += batch;
    rates.push((batch * 1e9) / Math.max(cpuNs, 1));
    wallRates.push((batch * 1e9) / ns);
    cpuShares.push(cpuNs / ns);
  }

  const medianRate = quantile(rates, 0.5);
  // 1e6 operations for the fast synchronous cases: enough that a single stray allocation of a few
  // hundred bytes shows as < 0.001 B/op. Slow cases get fewer, so that no case takes long.
  const allocOps = Math.max(
    1000,
    Math.min(options.allocMaxOps, Math.round((medianRate * options.allocMs) / 1000)),
  );
  const bytesPerOp = await allocatedPerOp(bench, allocOps);
  ops += allocOps;

  const expectedCalls = ops * testCase.callsPerOp;
  if (bench.tally.calls !== expectedCalls) {
    throw new Error(
      `${testCase.label}: expected ${expectedCalls} listener calls, counted ${bench.tally.calls}; the case does not measure what it claims`,
    );
  }
  return {
    opsPerSec: medianRate,
    mad:
      quantile(
        rates.map((rate) => Math.abs(rate - medianRate)),
        0.5,
      ) / medianRate,
    wallOpsPerSec: quantile(wallRates, 0.5),
    cpuShare: quantile(cpuShares, 0.5),
    samples: rates.length,
    batch,
    bytesPerOp,
    checksum: bench.tally.sum,
  };
}

async function timeBatch(bench: Bench, ops: number): Promise<number> {
  // Both branches read the clock around the work only; the async branch's await is part of its work.
  if (bench.kind === 'sync') {
    const start = process.hrtime.bigint();
    bench.run(ops);
    return Number(process.hrtime.bigint() - start);
  }
  const start = process.hrtime.bigint();
  await bench.run(ops);
  return Number(process.hrtime.bigint() - start);
}

/**
 * Heap bytes allocated per operation: `heapUsed` after minus before, plus what every GC in between
 * freed (from `v8.GCProfiler`), so a collection during the run does not hide allocation. Run after
 * the timing, i.e. on optimized code; compiling would otherwise show up as allocation.
 */
async function allocatedPerOp(bench: Bench, ops: number): Promise<number> {
  collectGarbage();
  const profiler = new GCProfiler();
  profiler.start();
  const before = process.memoryUsage().heapUsed;
  if (bench.kind === 'sync') bench.run(ops);
  else await bench.run(ops);
  const after = process.memoryUsage().heapUsed;
  let freed = 0;
  for (const gc of profiler.stop().statistics) {
    freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize;
  }
  return Math.max(0, after - before + freed) / ops;
}

function collectGarbage(): void {
  if (typeof globalThis.gc !== 'function') {
    throw new Error('run node with --expose-gc (npm run bench:dispatch does)');
  }
  globalThis.gc();
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (position - lower);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}
