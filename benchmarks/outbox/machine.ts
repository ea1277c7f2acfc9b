// The machine while the outbox benchmarks measure: who used the CPU during a repetition (the measuring
// process, RabbitMQ, PostgreSQL, MariaDB/MySQL, everything else, from /proc) and the load average.
import { readdirSync, readFileSync } from 'node:fs';

export interface MachineReport {
  readonly loadAtStart: number;
  readonly loadAtEnd: number;
  /** Average cores busy while the repetitions were measured. */
  readonly cores?: {
    readonly self: number;
    readonly broker: number;
    readonly postgres: number;
    readonly mysql: number;
    readonly other: number;
  };
}

/** CPU seconds used while one repetition was measured (summed over its time). */
export interface CpuSample {
  readonly seconds: number;
  /** The measuring (child) process. */
  readonly self: number;
  readonly broker: number;
  readonly postgres: number;
  readonly mysql: number;
  /** The whole machine. */
  readonly busy: number;
}

interface CpuSnapshot {
  readonly at: number;
  readonly busyTicks: number;
  readonly self: NodeJS.CpuUsage;
  readonly broker: ReadonlyMap<number, number>;
  readonly postgres: ReadonlyMap<number, number>;
  readonly mysql: ReadonlyMap<number, number>;
}

/** Linux USER_HZ: /proc reports CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

/**
 * In the child, around the measured part of a repetition. PostgreSQL starts a backend process per
 * connection, and every repetition opens a fresh pool, so processes are followed by pid: one that
 * appeared since `begin` counts in full. `end` must come before the pools are closed: the CPU of a
 * backend that exited in between would be lost (it would show up as "other").
 */
export class CpuMeter {
  #start: CpuSnapshot | undefined;

  begin(): void {
    this.#start = cpuSnapshot();
  }

  end(): CpuSample | undefined {
    const start = this.#start;
    this.#start = undefined;
    const now = cpuSnapshot();
    if (start === undefined || now === undefined) return undefined;
    return {
      seconds: (now.at - start.at) / 1000,
      self: (now.self.user - start.self.user + now.self.system - start.self.system) / 1e6,
      broker: ticksSince(start.broker, now.broker) / TICKS_PER_SECOND,
      postgres: ticksSince(start.postgres, now.postgres) / TICKS_PER_SECOND,
      mysql: ticksSince(start.mysql, now.mysql) / TICKS_PER_SECOND,
      busy: (now.busyTicks - start.busyTicks) / TICKS_PER_SECOND,
    };
  }
}

/** In the parent: the samples of a scenario's repetitions, and the load average around them. */
export class MachineTotals {
  #seconds = 0;
  #self = 0;
  #broker = 0;
  #postgres = 0;
  #mysql = 0;
  #busy = 0;
  readonly #loadAtStart = loadavg1();

  add(sample: CpuSample | undefined): void {
    if (sample === undefined) return;
    this.#seconds += sample.seconds;
    this.#self += sample.self;
    this.#broker += sample.broker;
    this.#postgres += sample.postgres;
    this.#mysql += sample.mysql;
    this.#busy += sample.busy;
  }

  report(): MachineReport {
    const report = { loadAtStart: this.#loadAtStart, loadAtEnd: loadavg1() };
    if (this.#seconds === 0) return report;
    const per = (seconds: number) => seconds / this.#seconds;
    return {
      ...report,
      cores: {
        self: per(this.#self),
        broker: per(this.#broker),
        postgres: per(this.#postgres),
        mysql: per(this.#mysql),
        other: Math.max(0, per(this.#busy - this.#self - this.#broker - this.#postgres - this.#mysql)),
      },
    };
  }
}

function loadavg1(): number {
  try {
    return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    return Number.NaN;
  }
}

function ticksSince(start: ReadonlyMap<number, number>, now: ReadonlyMap<number, number>): number {
  let ticks = 0;
  for (const [pid, value] of now) ticks += value - (start.get(pid) ?? 0);
  return ticks;
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
    const broker = new Map<number, number>();
    const postgres = new Map<number, number>();
    const mysql = new Map<number, number>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const into =
          command === 'beam.smp'
            ? broker
            : command === 'postgres'
              ? postgres
              : command === 'mariadbd' || command === 'mysqld'
                ? mysql
                : undefined;
        if (into === undefined) continue;
        // Fields after the command name: utime and stime are the 12th and 13th.
        const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        into.set(Number(entry), Number(rest[11]) + Number(rest[12]));
      } catch {
        // gone meanwhile
      }
    }
    return {
      at: performance.now(),
      busyTicks: total - fields[3]! - fields[4]!,
      self: process.cpuUsage(),
      broker,
      postgres,
      mysql,
    };
  } catch {
    return undefined; // not Linux
  }
}
