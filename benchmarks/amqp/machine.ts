// The machine while a scenario runs: load average, and how many cores the benchmark's processes,
// RabbitMQ, Redis and everything else kept busy (from /proc, Linux only). Used by the parent: the
// `bench` figure counts the parent and every child it ran (their CPU time is reaped by the parent).
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { sleep } from './harness.js';
import { ticksOf, TICKS_PER_SECOND } from './proc-ticks.js';

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
  /** This process and its finished children (the cases' processes). */
  readonly selfTicks: number;
  readonly brokerTicks: number;
  readonly redisTicks: number;
}

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
  const self = (now.selfTicks - start.selfTicks) / TICKS_PER_SECOND / seconds;
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
      selfTicks: ownTicks(),
      brokerTicks: ticksOf('beam.smp'),
      redisTicks: ticksOf('redis-server'),
    };
  } catch {
    return undefined; // not Linux
  }
}

/** CPU ticks of this process and of its children that have ended (utime, stime, cutime, cstime). */
function ownTicks(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14]);
}
