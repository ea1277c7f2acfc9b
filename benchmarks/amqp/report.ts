// Turns the rows of each scenario into the printed tables: median and range over the repetitions, the
// ratios of each tidings row to the best peer and to raw amqplib (paired by round, see goals.ts), CPU
// per message, and the verdict on the goals.
import { amqplibOf, bestPeerRatio, findRow, formatRatio, pairedRatio } from './goals.js';
import { median, modes, type Row, type ScenarioResult } from './harness.js';
import type { MachineReport } from './machine.js';

export { formatRatio };

export function formatScenario(result: ScenarioResult, index: number, verdicts: string[]): string {
  const lines = [`${index}. ${result.title}`];
  for (const note of result.notes) lines.push(`   (${note})`);
  lines.push(`   ${formatMachine(result.machine)}`);
  const latency = result.unit === 'ms';
  const groups = new Set(result.rows.map((row) => row.group));
  const table: string[][] = [latency ? latencyHeader() : throughputHeader(result.showModes === true)];
  for (const group of groups) {
    if (groups.size > 1) table.push([`  ${group}:`]);
    for (const row of result.rows.filter((candidate) => candidate.group === group)) {
      if (row.values.length === 0) {
        table.push([row.label, 'FAILED', ...Array<string>(table[0]!.length - 2).fill('')]);
      } else {
        table.push(latency ? latencyLine(row, result.rows) : throughputLine(row, result));
      }
      if (row.errors.length > 0) table.push([`  ! ${row.errors.length} failed: ${row.errors[0]}`]);
    }
  }
  lines.push(...alignTable(table).map((line) => `   ${line}`));
  for (const goal of result.goals) {
    const verdict = goal.check(result.rows);
    if (verdict === undefined) continue;
    const status = verdict.met === undefined ? 'reported' : verdict.met ? 'MET' : 'MISSED';
    const text = `${goal.description}: ${status} (${verdict.detail})`;
    lines.push(`   goal: ${text}`);
    verdicts.push(`${result.id}: ${text}`);
  }
  return lines.join('\n');
}

function throughputHeader(showModes: boolean): string[] {
  return [
    'case',
    'median msgs/s',
    'min – max',
    'n',
    '×best peer',
    '×amqplib',
    'CPU µs/msg',
    'CPU ×amqplib',
    'broker µs/msg',
    'broker ×amqplib',
    showModes ? 'modes: slow | fast (n)' : '',
  ];
}

function throughputLine(row: Row, result: ScenarioResult): string[] {
  const base = amqplibOf(row, result.rows);
  const tidings = row.library === 'tidings';
  const vsBase = (pick?: (r: Row) => readonly number[]) =>
    base === undefined || base === row || findRow(result.rows, base.label) === undefined
      ? '-'
      : formatRatio(pairedRatio(row, base, pick));
  const split = result.showModes ? modes(row.values) : undefined;
  return [
    row.label,
    formatInteger(median(row.values)),
    `${formatInteger(Math.min(...row.values))} – ${formatInteger(Math.max(...row.values))}`,
    String(row.values.length),
    tidings ? formatRatio(bestPeerRatio(row, result.rows)) : '',
    vsBase(),
    median(row.cpu ?? []).toFixed(1),
    vsBase((r) => r.cpu ?? []),
    brokerMedian(row),
    vsBase((r) => r.broker ?? []),
    !result.showModes
      ? ''
      : split === undefined
        ? 'one mode'
        : `${formatInteger(median(split.slow))} (${split.slow.length}) | ${formatInteger(median(split.fast))} (${split.fast.length})`,
  ];
}

/** The broker's CPU µs per message, median of the repetitions where it could be read; else '-'. */
function brokerMedian(row: Row): string {
  const read = (row.broker ?? []).filter((value) => Number.isFinite(value));
  return read.length === 0 ? '-' : median(read).toFixed(1);
}

function latencyHeader(): string[] {
  return [
    'case',
    'p50 ms',
    'p99 ms',
    'p50 range',
    'p99 range',
    'n',
    'p50 ×amqplib',
    'p99 ×amqplib',
    'p50 ×best peer',
    'p99 ×best peer',
  ];
}

function latencyLine(row: Row, rows: readonly Row[]): string[] {
  const base = amqplibOf(row, rows);
  const p99 = row.p99 ?? [];
  const p99Of = (r: Row) => r.p99 ?? [];
  const vsBase = (pick?: (r: Row) => readonly number[]) =>
    base === undefined || base === row || findRow(rows, base.label) === undefined
      ? '-'
      : formatRatio(pairedRatio(row, base, pick));
  const tidings = row.library === 'tidings';
  return [
    row.label,
    median(row.values).toFixed(2),
    median(p99).toFixed(2),
    `${Math.min(...row.values).toFixed(2)} – ${Math.max(...row.values).toFixed(2)}`,
    `${Math.min(...p99).toFixed(2)} – ${Math.max(...p99).toFixed(2)}`,
    String(row.values.length),
    vsBase(),
    vsBase(p99Of),
    tidings ? formatRatio(bestPeerRatio(row, rows, true)) : '',
    tidings ? formatRatio(bestPeerRatio(row, rows, true, p99Of)) : '',
  ];
}

function formatMachine(machine: MachineReport): string {
  const load = `load average ${machine.loadAtStart.toFixed(2)} at start, ${machine.loadAtEnd.toFixed(2)} at end`;
  const cores = machine.cores;
  if (cores === undefined) return load;
  return (
    `${load}; cores busy on average: bench (all its processes) ${cores.self.toFixed(2)}, RabbitMQ ${cores.broker.toFixed(2)}, ` +
    `Redis ${cores.redis.toFixed(2)}, other processes ${cores.other.toFixed(2)}`
  );
}

export function alignTable(table: readonly (readonly string[])[]): string[] {
  const columns = table[0]!.length;
  const widths = Array.from({ length: columns }, (_, column) =>
    Math.max(...table.filter((row) => row.length === columns).map((row) => row[column]!.length)),
  );
  return table.map((row) =>
    row.length !== columns
      ? row.join('')
      : row
          .map((cell, column) =>
            column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!),
          )
          .join('  ')
          .trimEnd(),
  );
}

export function formatInteger(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '-';
}
