// The measuring part of the AMQP benchmarks: scenario/row types, unique broker names and their
// cleanup, the admin connection that pre-fills and purges queues, the windowed publish pump, statistics,
// and the machine monitor (load average, CPU used by other processes).
//
// Unlike benchmarks/dispatch (CPU time of tight loops in forked processes) everything here is I/O bound:
// it is measured in wall-clock time, in one process, against the real broker. Every repetition opens
// fresh connections, since the speed of a connection is fixed once it is open (see README).
import amqplib from 'amqplib';
import type { ChannelModel, ConfirmChannel, Options } from 'amqplib';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { Redis } from 'ioredis';

export const AMQP_URL = process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** Every case publishes at most this many unconfirmed messages (tidings' default `maxUnconfirmed`). */
export const CONFIRM_WINDOW = 1000;
export const PREFETCH = 100;
export const MESSAGE_BYTES = 200;

export type Library = 'tidings' | 'amqplib' | 'rascal';

/** One line of a result table: one value per repetition (each on fresh connections). */
export interface Row {
  readonly label: string;
  readonly library: Library;
  readonly values: number[];
  /** Throughput rows: CPU time of this process per message, in µs, of each repetition. */
  readonly cpu?: number[];
  /** Latency rows: the p99 of each repetition (`values` then holds the p50s). */
  readonly p99?: number[];
  /** Errors of failed repetitions (the row still shows the ones that worked). */
  readonly errors: string[];
}

export interface Goal {
  readonly label: string;
  readonly description: string;
  check(rows: readonly Row[]): { met: boolean; detail: string } | undefined;
}

export interface ScenarioResult {
  readonly id: string;
  readonly title: string;
  readonly notes: readonly string[];
  /** `msgs/s` (higher is better) or `ms` (latency, lower is better). */
  readonly unit: 'msgs/s' | 'ms';
  /** Label of the raw amqplib row every tidings row is compared with. */
  readonly amqplibBaseline: string;
  /** Label of the Rascal row, if the scenario has one. */
  readonly rascalBaseline?: string;
  /** Split each row's values into a slow and a fast mode (consumption is bimodal, see README). */
  readonly showModes?: boolean;
  readonly rows: readonly Row[];
  readonly goals: readonly Goal[];
  readonly machine: MachineReport;
}

export interface Scenario {
  /** The file name without extension, e.g. `publish`. */
  readonly id: string;
  run(context: RunContext): Promise<ScenarioResult>;
}

export interface RunContext {
  readonly names: Names;
  readonly admin: Admin;
  readonly quick: boolean;
  /** Only cases whose label contains this text (for profiling one case). */
  readonly filter: string | undefined;
  log(line: string): void;
}

// ---------------------------------------------------------------------------------------------------
// Names: unique per run, all recorded so that the run can delete them at the end.

export class Names {
  /** e.g. `tbench-m3k9x2-a1b2`: no dots, so it can be a routing key's first part (an exchange). */
  readonly prefix: string;
  readonly queues = new Set<string>();
  readonly exchanges = new Set<string>();
  /** Queues whose Redis repeat-counter keys must be removed. */
  readonly counterQueues = new Set<string>();

  constructor() {
    this.prefix = `tbench-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
  }

  /** A queue name of this run, recorded for deletion. */
  queue(suffix: string): string {
    const name = `${this.prefix}.${suffix}`;
    this.queues.add(name);
    return name;
  }

  /** Another exchange of this run, recorded for deletion. */
  otherExchange(suffix: string): string {
    const name = `${this.prefix}.${suffix}`;
    this.exchanges.add(name);
    return name;
  }

  /** The topic exchange every publishing case uses (also the Consumers' route exchange). */
  get exchange(): string {
    this.exchanges.add(this.prefix);
    return this.prefix;
  }

  /** The Consumers' appId: they declare `<appId>.dead-letter` and `<appId>.dead-letters`. */
  get appId(): string {
    this.exchanges.add(`${this.prefix}.dead-letter`);
    this.queues.add(`${this.prefix}.dead-letters`);
    return this.prefix;
  }
}

// ---------------------------------------------------------------------------------------------------
// Admin: one raw amqplib connection of the harness itself, never one a case is measured on.

export class Admin {
  private constructor(
    private readonly connection: ChannelModel,
    private readonly channel: ConfirmChannel,
  ) {}

  static async open(): Promise<Admin> {
    const connection = await amqplib.connect(AMQP_URL, {
      clientProperties: { connection_name: 'bench-admin' },
    });
    connection.on('error', () => {});
    const channel = await connection.createConfirmChannel();
    channel.on('error', () => {});
    return new Admin(connection, channel);
  }

  /** e.g. `RabbitMQ 3.10.8`. */
  get server(): string {
    const properties = this.connection.connection.serverProperties;
    return `${properties.product} ${properties.version}`;
  }

  async queue(name: string, args: Record<string, unknown> = {}): Promise<void> {
    await this.channel.assertQueue(name, { durable: true, arguments: args });
  }

  async exchange(name: string, type: 'topic' | 'fanout' = 'topic'): Promise<void> {
    await this.channel.assertExchange(name, type, { durable: true });
  }

  async bind(queue: string, exchange: string, pattern: string): Promise<void> {
    await this.channel.bindQueue(queue, exchange, pattern);
  }

  async purge(queue: string): Promise<void> {
    await this.channel.purgeQueue(queue);
  }

  async messageCount(queue: string): Promise<number> {
    return (await this.channel.checkQueue(queue)).messageCount;
  }

  /**
   * Publishes `count` 200-byte JSON messages, persistent, with ids `<idPrefix><n>`, confirmed with a
   * window of 1000, straight to `queue` (default exchange) or to every queue bound to a fanout
   * `exchange`; resolves when all are confirmed.
   */
  async fill(
    target: { queue: string } | { exchange: string },
    count: number,
    idPrefix: string,
  ): Promise<void> {
    const [exchange, routingKey] = 'queue' in target ? ['', target.queue] : [target.exchange, ''];
    let next = 0;
    await pump({ window: CONFIRM_WINDOW, total: count }, (done) => {
      const seq = next++;
      this.channel.publish(exchange, routingKey, jsonBody(seq), persistent(`${idPrefix}${seq}`), done);
    });
  }

  /** Deletes everything the run declared, and the Redis counter keys of its queues. Never throws. */
  static async cleanUp(names: Names, log: (line: string) => void): Promise<void> {
    let connection: ChannelModel | undefined;
    try {
      connection = await amqplib.connect(AMQP_URL, {
        clientProperties: { connection_name: 'bench-cleanup' },
      });
      connection.on('error', () => {});
      for (const queue of names.queues) {
        const channel = await connection.createChannel();
        channel.on('error', () => {});
        await channel.deleteQueue(queue).catch(() => {});
        await channel.close().catch(() => {});
      }
      for (const exchange of names.exchanges) {
        const channel = await connection.createChannel();
        channel.on('error', () => {});
        await channel.deleteExchange(exchange).catch(() => {});
        await channel.close().catch(() => {});
      }
      log(`cleanup: deleted ${names.queues.size} queues and ${names.exchanges.size} exchanges`);
    } catch (error) {
      log(`cleanup FAILED (delete queues/exchanges starting with ${names.prefix}): ${String(error)}`);
    } finally {
      await connection?.close().catch(() => {});
    }
    if (names.counterQueues.size > 0) await deleteCounterKeys(names, log);
  }

  async close(): Promise<void> {
    await this.channel.close().catch(() => {});
    await this.connection.close().catch(() => {});
  }
}

async function deleteCounterKeys(names: Names, log: (line: string) => void): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  try {
    await redis.connect();
    let deleted = 0;
    for (const queue of names.counterQueues) {
      // The key layout of RedisRepeatCounter's default prefix: `tidings:attempts:<queue>:<messageId>`.
      const stream = redis.scanStream({
        match: `tidings:attempts:${encodeURIComponent(queue)}:*`,
        count: 1000,
      });
      for await (const keys of stream as AsyncIterable<string[]>) {
        if (keys.length > 0) deleted += await redis.del(...keys);
      }
    }
    log(`cleanup: deleted ${deleted} leftover Redis counter keys`);
  } catch (error) {
    log(`cleanup of Redis keys FAILED: ${String(error)}`);
  } finally {
    redis.disconnect();
  }
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
}

/** What a latency case measures in one repetition, in ms. */
export interface Latency {
  readonly p50: number;
  readonly p99: number;
}

export interface PumpResult extends Throughput {
  readonly completed: number;
}

/** A point in time and this process's CPU time then. */
export interface Mark {
  readonly time: number;
  readonly cpu: NodeJS.CpuUsage;
}

export function mark(): Mark {
  return { time: performance.now(), cpu: process.cpuUsage() };
}

/** Throughput of `messages` completed between two marks. */
export function between(start: Mark, end: Mark, messages: number): Throughput {
  const cpu = end.cpu.user - start.cpu.user + end.cpu.system - start.cpu.system;
  return { rate: (messages * 1000) / (end.time - start.time), cpuUs: cpu / messages };
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

  /** Resolves with the time of the n-th completion (within `timeoutMs`). */
  at(n: number, timeoutMs: number, what: string): Promise<Mark> {
    const known = this.#marks.get(n);
    if (known !== undefined || this.count >= n) return Promise.resolve(known ?? mark());
    return withTimeout(
      new Promise<Mark>((resolve) => this.#waiters.set(n, () => resolve(this.#marks.get(n)!))),
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

/** Runs the cases of one round in turn; a failing repetition is recorded, the others go on. */
export async function repeatRounds(
  rounds: number,
  /** `once(warm)`: one repetition; `warm` on the discarded warm-up round (it may do less). */
  cases: readonly { row: Row; once(warm: boolean): Promise<Throughput | Latency> }[],
  context: RunContext,
  options: {
    discardFirst: boolean;
    /** Before each round (e.g. to fill every case's queue at once). */
    beforeRound?: (warm: boolean) => Promise<void>;
    /** After each repetition. */
    between?: () => Promise<void>;
  },
): Promise<void> {
  const measured = rounds - (options.discardFirst ? 1 : 0);
  for (let round = 0; round < rounds; round++) {
    const warm = options.discardFirst && round === 0;
    const name = warm ? 'warm-up' : `round ${round + (options.discardFirst ? 0 : 1)}/${measured}`;
    await options.beforeRound?.(warm);
    // Each round starts with the next case, so that no case always runs first (or last) in a round.
    const order = cases.map((_, index) => cases[(index + round) % cases.length]!);
    for (const testCase of order) {
      try {
        const value = await testCase.once(warm);
        if (!warm) {
          if ('rate' in value) {
            testCase.row.values.push(value.rate);
            testCase.row.cpu!.push(value.cpuUs);
          } else {
            testCase.row.values.push(value.p50);
            testCase.row.p99!.push(value.p99);
          }
        }
        const shown =
          'rate' in value
            ? `${Math.round(value.rate).toLocaleString('en-US')} msgs/s, ${value.cpuUs.toFixed(1)} µs CPU/msg`
            : `p50 ${value.p50.toFixed(2)} ms, p99 ${value.p99.toFixed(2)} ms`;
        context.log(`  ${name}  ${testCase.row.label}: ${shown}`);
      } catch (error) {
        testCase.row.errors.push(describeError(error));
        context.log(`  ${name}  ${testCase.row.label}: FAILED ${describeError(error)}`);
      }
      await options.between?.();
    }
  }
}

export function newRow(label: string, library: Library, latency = false): Row {
  return latency
    ? { label, library, values: [], p99: [], errors: [] }
    : { label, library, values: [], cpu: [], errors: [] };
}

export function selected<T extends { row: Row }>(cases: readonly T[], filter: string | undefined): T[] {
  return filter === undefined ? [...cases] : cases.filter((testCase) => testCase.row.label.includes(filter));
}

// ---------------------------------------------------------------------------------------------------
// The machine: load average, and who used the CPU while a scenario ran.

export interface MachineReport {
  readonly loadAtStart: number;
  readonly loadAtEnd: number;
  /** Average cores busy during the scenario: this process, RabbitMQ, Redis, everything else. */
  readonly cores?: {
    readonly self: number;
    readonly broker: number;
    readonly redis: number;
    readonly other: number;
  };
}

interface CpuSnapshot {
  readonly at: number;
  readonly busyTicks: number;
  readonly self: NodeJS.CpuUsage;
  readonly brokerTicks: number;
  readonly redisTicks: number;
}

/** Linux USER_HZ: /proc reports CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

export class MachineMonitor {
  #start: CpuSnapshot | undefined;
  #loadAtStart = 0;

  begin(): void {
    this.#loadAtStart = loadavg()[0]!;
    this.#start = cpuSnapshot();
  }

  end(): MachineReport {
    const start = this.#start;
    const now = cpuSnapshot();
    const report: MachineReport = { loadAtStart: this.#loadAtStart, loadAtEnd: loadavg()[0]! };
    if (start === undefined || now === undefined) return report;
    return { ...report, cores: coresBetween(start, now) };
  }
}

function coresBetween(start: CpuSnapshot, now: CpuSnapshot) {
  const seconds = (now.at - start.at) / 1000;
  const self = (now.self.user - start.self.user + now.self.system - start.self.system) / 1e6 / seconds;
  const busy = (now.busyTicks - start.busyTicks) / TICKS_PER_SECOND / seconds;
  const broker = (now.brokerTicks - start.brokerTicks) / TICKS_PER_SECOND / seconds;
  const redis = (now.redisTicks - start.redisTicks) / TICKS_PER_SECOND / seconds;
  return { self, broker, redis, other: Math.max(0, busy - self - broker - redis) };
}

/**
 * Samples the machine for `ms` while this process does nothing: how many cores everyone else
 * (RabbitMQ and Redis included: other tests use them too) keeps busy.
 */
export async function othersBusy(ms: number): Promise<number | undefined> {
  const start = cpuSnapshot();
  await sleep(ms);
  const now = cpuSnapshot();
  if (start === undefined || now === undefined) return undefined;
  const cores = coresBetween(start, now);
  return cores.broker + cores.redis + cores.other;
}

function cpuSnapshot(): CpuSnapshot | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8')
      .split('\n', 1)[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    // user nice system idle iowait irq softirq steal …: busy is everything but idle and iowait.
    const total = fields.slice(0, 8).reduce((sum, value) => sum + value, 0);
    const busyTicks = total - fields[3]! - fields[4]!;
    return {
      at: performance.now(),
      busyTicks,
      self: process.cpuUsage(),
      brokerTicks: ticksOf('beam.smp'),
      redisTicks: ticksOf('redis-server'),
    };
  } catch {
    return undefined; // not Linux
  }
}

const pidCache = new Map<string, number[]>();

function ticksOf(command: string): number {
  let pids = pidCache.get(command);
  if (pids === undefined) {
    pids = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === command) pids.push(Number(entry));
      } catch {
        // gone meanwhile
      }
    }
    pidCache.set(command, pids);
  }
  let ticks = 0;
  for (const pid of pids) {
    try {
      // Fields after the command name (which may contain spaces): utime and stime are the 12th and 13th.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(rest[11]) + Number(rest[12]);
    } catch {
      // gone meanwhile
    }
  }
  return ticks;
}
