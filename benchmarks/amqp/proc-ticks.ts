// CPU time of other processes on this machine, from /proc (Linux only): the parent's machine report
// and each case's broker CPU per message (harness.ts) read it.
import { readdirSync, readFileSync } from 'node:fs';

/** Linux USER_HZ: /proc reports CPU time in these ticks. */
export const TICKS_PER_SECOND = 100;

const pidCache = new Map<string, number[]>();

/** CPU ticks (user + system) of every process named `command` (found once per process, then followed). */
export function ticksOf(command: string): number {
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

/**
 * CPU ticks of the local RabbitMQ (every `beam.smp`), or `undefined` when there is none to read (not
 * Linux, or a broker on another machine): then no broker figure is shown.
 */
export function brokerTicks(): number | undefined {
  try {
    return ticksOf('beam.smp') || undefined;
  } catch {
    return undefined;
  }
}
