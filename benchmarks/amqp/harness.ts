import { randomUUID } from 'node:crypto';
// What the AMQP benchmarks share: settings, the types of scenarios, cases and results, the messages,
// the windowed publish pump, counting completions, timing and statistics.
//
// Everything here is I/O bound: rates are wall-clock messages per second against the real broker, next
// to the CPU time the case's own process spent per message. Every repetition of every case runs in a
// fresh process of its own (rounds.ts, child.ts) on fresh connections: the speed of a connection is
// fixed once it is open, and one client's JIT history and garbage must not weigh on another's numbers.
import type { Options } from 'amqplib';
import type { Admin, Names } from './admin.js';
import type { MachineReport } from './machine.js';
import { brokerTicks, TICKS_PER_SECOND } from './proc-ticks.js';

export const AMQP_URL = process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** Every case publishes at most this many unconfirmed messages (tidings' default `maxUnconfirmed`). */
export const CONFIRM_WINDOW = 1000;
export const PREFETCH = 100;
export const MESSAGE_BYTES = 200;

/** `acm`: amqp-connection-manager. Every library but tidings is a peer. */
export type Library = 'tidings' | 'amqplib' | 'rascal' | 'acm';

export const LIBRARY_NAMES: Readonly<Record<Library, string>> = {
  tidings: 'tidings',
  amqplib: 'amqplib',
  rascal: 'Rascal',
  acm: 'amqp-connection-manager',
};

/** One case of a scenario, run in a child process: one repetition per process. */
export interface Case<Setup> {
  readonly label: string;
  readonly library: Library;
  /**
   * Rows are compared within a group only (e.g. pipelined publishes with pipelined ones, one-at-a-time
   * with one-at-a-time): the group's amqplib row is its `× amqplib` baseline, its peers' fastest in each
   * repetition its `× best peer` one. Default: one group.
   */
  readonly group?: string;
  /** A reference row (e.g. amqplib doing tidings' extra work): shown, never a peer or the amqplib baseline. */
  readonly reference?: boolean;
  /** One repetition, in the child; `warm` on the discarded warm-up round (it may do less). */
  once(setup: Setup, warm: boolean): Promise<Throughput | Latency>;
}

/** What the parent prepared for a scenario: the cases' setup (sent to each child as JSON) and hooks. */
export interface Plan<Setup> {
  readonly setup: Setup;
  /** Measured repetitions; a discarded warm-up round comes first if `discardFirst`. */
  readonly rounds: number;
  readonly discardFirst: boolean;
  /** Before each round (e.g. to fill every case's queue at once). */
  beforeRound?(warm: boolean): Promise<void>;
  /** Before each repetition of a case (e.g. to check or fill its queue). */
  beforeCase?(label: string, warm: boolean): Promise<void>;
  /** After each repetition of a case, whether it worked or not (e.g. to check or purge its queue). */
  afterCase?(label: string, warm: boolean): Promise<void>;
  /** Title, notes, goals: everything of the result but the measurements. */
  readonly report: ScenarioReport;
}

export interface Scenario<Setup = any> {
  /** What `--only` selects, e.g. `publish`, `consume-1000`. */
  readonly id: string;
  readonly cases: readonly Case<Setup>[];
  /** In the parent: declares what the cases need. */
  prepare(context: RunContext): Promise<Plan<Setup>>;
}

export interface RunContext {
  readonly names: Names;
  readonly admin: Admin;
  readonly quick: boolean;
  /** Messages per repetition of the repeat cycle (`--repeat-messages`). */
  readonly repeatMessages: number;
  log(line: string): void;
}

/** One line of a result table: one value per repetition (each in a fresh process, on fresh connections). */
export interface Row {
  readonly label: string;
  readonly library: Library;
  readonly group: string;
  readonly reference?: boolean;
  readonly values: number[];
  /** The round of each value: ratios pair the values of one round. */
  readonly rounds: number[];
  /** Throughput rows: CPU time of the case's process per message, in µs, of each repetition. */
  readonly cpu?: number[];
  /** Throughput rows: the broker's CPU time per message, in µs, of each repetition (NaN: not read). */
  readonly broker?: number[];
  /** Latency rows: the p99 of each repetition (`values` then holds the p50s). */
  readonly p99?: number[];
  /** Errors of failed repetitions (the row still shows the ones that worked). */
  readonly errors: string[];
}

export interface Verdict {
  /** undefined: reported, no threshold. */
  readonly met?: boolean;
  readonly detail: string;
}

export interface Goal {
  readonly description: string;
  check(rows: readonly Row[]): Verdict | undefined;
}

export interface ScenarioReport {
  readonly title: string;
  readonly notes: readonly string[];
  /** `msgs/s` (higher is better) or `ms` (latency, lower is better). */
  readonly unit: 'msgs/s' | 'ms';
  /** Split each row's values into a slow and a fast mode (consumption is bimodal, see README). */
  readonly showModes?: boolean;
  readonly goals: readonly Goal[];
}

export interface ScenarioResult extends ScenarioReport {
  readonly id: string;
  readonly rows: readonly Row[];
  readonly machine: MachineReport;
}

// ---------------------------------------------------------------------------------------------------
// Messages.

const PADDING = 'x'.repeat(MESSAGE_BYTES);

/** A payload whose JSON is exactly 200 bytes (for seq < 10^9). */
export function jsonPayload(seq: number): { seq: number; pad: string } {
  const bare = JSON.stringify({ seq, pad: '' }).length;
  return { seq, pad: PADDING.slice(0, MESSAGE_BYTES - bare) };
}

export function jsonBody(seq: number): Buffer {
  return Buffer.from(JSON.stringify(jsonPayload(seq)));
}

/**
 * The properties `Publisher.send` gives a message (docs/wire-format.md): a UUID message id, the event name
 * as type, the application id, a timestamp in seconds and the `x-tidings-origin` header. For the raw
 * amqplib reference rows that do tidings' work by hand.
 */
export function tidingsEnvelope(type: string): Options.Publish {
  return {
    ...persistent(randomUUID(), { 'x-tidings-origin': 'bench' }),
    type,
    appId: 'bench',
    timestamp: Math.floor(Date.now() / 1000),
  };
}

/** What every raw amqplib publish uses: persistent, mandatory, JSON, with an id (tidings always sends one). */
export function persistent(messageId: string, headers?: Record<string, unknown>): Options.Publish {
  return {
    persistent: true,
    mandatory: true,
    contentType: 'application/json',
    messageId,
    ...(headers ? { headers } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------
// The pump: keeps `window` operations in flight.

export type Done = (error?: unknown) => void;

export interface PumpOptions {
  readonly window: number;
  /** Stop after this many operations… */
  readonly total?: number;
  /** …or keep going for warm-up + measure milliseconds. */
  readonly warmupMs?: number;
  readonly measureMs?: number;
}

/** What a throughput case measures in one repetition. */
export interface Throughput {
  /** Messages per second (wall clock). */
  readonly rate: number;
  /**
   * CPU time this process spent per message, in µs: the client's own cost, far less disturbed than
   * `rate` by other processes competing for the CPU (it also counts the harness's few hundred ns).
   */
  readonly cpuUs: number;
  /**
   * RabbitMQ's CPU time per message over the same stretch, in µs (all of its threads, from /proc: the
   * broker is on this machine and the cases run one at a time); absent when it cannot be read.
   */
  readonly brokerCpuUs?: number;
}

/** What a latency case measures in one repetition, in ms. */
export interface Latency {
  readonly p50: number;
  readonly p99: number;
}

export interface PumpResult extends Throughput {
  readonly completed: number;
}

/** A point in time, this process's CPU time then, and the local broker's (`undefined`: none to read). */
export interface Mark {
  readonly time: number;
  readonly cpu: NodeJS.CpuUsage;
  readonly brokerTicks: number | undefined;
}

export function mark(): Mark {
  // Read first: the first read in a process scans /proc for the broker, which must not count as the
  // case's own CPU time in a window that this mark starts.
  const broker = brokerTicks();
  return { time: performance.now(), cpu: process.cpuUsage(), brokerTicks: broker };
}

/** Throughput of `messages` completed between two marks. */
export function between(start: Mark, end: Mark, messages: number): Throughput {
  const cpu = end.cpu.user - start.cpu.user + end.cpu.system - start.cpu.system;
  const throughput = { rate: (messages * 1000) / (end.time - start.time), cpuUs: cpu / messages };
  if (start.brokerTicks === undefined || end.brokerTicks === undefined) return throughput;
  const brokerUs = ((end.brokerTicks - start.brokerTicks) * 1e6) / TICKS_PER_SECOND;
  return { ...throughput, brokerCpuUs: brokerUs / messages };
}

/**
 * Starts operations (`start(done)`) so that `window` are in flight, starting a new one as each
 * completes. Timed runs measure the steady state only: from the completion that ends the warm-up to
 * the completion that ends the measurement, with the window full throughout (no ramp-up, no drain).
 * Resolves once everything started has completed; rejects on the first error.
 */
export function pump(options: PumpOptions, start: (done: Done) => void): Promise<PumpResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const warmEnd = t0 + (options.warmupMs ?? 0);
    const end = warmEnd + (options.measureMs ?? 0);
    const timed = options.total === undefined;
    const total = options.total ?? Number.POSITIVE_INFINITY;
    let started = 0;
    let inFlight = 0;
    let completed = 0;
    let stopping = false;
    let failed = false;
    let markCount = 0;
    let warm = mark();
    let result: Throughput = { rate: 0, cpuUs: 0 };
    const done: Done = (error) => {
      inFlight--;
      if (failed) return;
      if (error !== undefined && error !== null) {
        failed = true;
        reject(error instanceof Error ? error : new Error(describeError(error)));
        return;
      }
      completed++;
      if (timed && !stopping) {
        const now = performance.now();
        if (markCount === 0 && now >= warmEnd) {
          markCount = completed;
          warm = mark();
        } else if (now >= end) {
          stopping = true;
          result = between(warm, mark(), completed - markCount);
        }
      }
      if (stopping || started >= total) {
        if (inFlight === 0) {
          if (!timed) result = between(warm, mark(), completed);
          resolve({ completed, ...result });
        }
        return;
      }
      fill();
    };
    const fill = (): void => {
      while (inFlight < options.window && !stopping && started < total) {
        started++;
        inFlight++;
        start(done);
      }
    };
    if (total === 0) resolve({ completed: 0, rate: 0, cpuUs: 0 });
    else fill();
  });
}

// ---------------------------------------------------------------------------------------------------
// Counting completions of consumers: marks the time of the n-th completion.

export class Completions {
  count = 0;
  #marks = new Map<number, Mark>();
  #waiters = new Map<number, () => void>();
  /** When the first delivery arrived (see `delivered`). */
  first: Mark | undefined;

  /** Called by a case's consumer after it settled a message for good. */
  readonly done = (): void => {
    this.count++;
    const waiter = this.#waiters.get(this.count);
    if (waiter !== undefined) {
      this.#marks.set(this.count, mark());
      waiter();
    }
  };

  /** Called on any delivery (also failed ones): the clock of a repeat cycle starts at the first. */
  readonly delivered = (): void => {
    this.first ??= mark();
  };

  /**
   * Called by a case's client when a message can no longer complete (its client failed to settle it):
   * the wait fails at once with this error instead of running into its timeout.
   */
  readonly fail = (error: Error): void => {
    this.#failure ??= error;
    this.#reject?.(error);
  };

  #failure: Error | undefined;
  #reject: ((error: Error) => void) | undefined;

  /** Resolves with the time of the n-th completion (within `timeoutMs`). */
  at(n: number, timeoutMs: number, what: string): Promise<Mark> {
    const known = this.#marks.get(n);
    if (known !== undefined || this.count >= n) return Promise.resolve(known ?? mark());
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return withTimeout(
      new Promise<Mark>((resolve, reject) => {
        this.#waiters.set(n, () => resolve(this.#marks.get(n)!));
        this.#reject = reject;
      }),
      timeoutMs,
      () => `${what}: only ${this.count} of ${n} messages completed within ${timeoutMs} ms`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------
// Small helpers.

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message())), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (position - lower);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/**
 * Splits repetitions into a slow and a fast mode at the widest gap between neighbouring values, if
 * that gap is a jump of more than 25 %; otherwise there is one mode.
 */
export function modes(values: readonly number[]): { slow: number[]; fast: number[] } | undefined {
  const sorted = [...values].sort((a, b) => a - b);
  let best = -1;
  let bestJump = 1.25;
  for (let i = 1; i < sorted.length; i++) {
    const jump = sorted[i]! / sorted[i - 1]!;
    if (jump > bestJump) {
      bestJump = jump;
      best = i;
    }
  }
  if (best === -1) return undefined;
  return { slow: sorted.slice(0, best), fast: sorted.slice(best) };
}
