// Turns the rows of each scenario into the printed tables: median and range over the repetitions,
// ratios of each row to raw amqplib and of each tidings row to Rascal, and the verdict on the goals.
import { median, modes, type Goal, type MachineReport, type Row, type ScenarioResult } from './harness.js';

/** `label`'s median ≥ `atLeast` × `baseline`'s median (msgs/s). */
export function ratioGoal(label: string, baseline: string, atLeast: number): Goal {
  return {
    label,
    description: `${label} ≥ ${atLeast}× ${baseline}`,
    check(rows) {
      const row = find(rows, label);
      const base = find(rows, baseline);
      if (row === undefined || base === undefined) return undefined;
      const ratio = median(row.values) / median(base.values);
      return { met: ratio >= atLeast, detail: formatRatio(ratio) };
    },
  };
}

/** `label`'s median lies within the range of `baseline`'s repetitions (or above it). */
export function withinRangeGoal(label: string, baseline: string): Goal {
  return {
    label,
    description: `${label} median within the ${baseline} range`,
    check(rows) {
      const row = find(rows, label);
      const base = find(rows, baseline);
      if (row === undefined || base === undefined) return undefined;
      const value = median(row.values);
      const low = Math.min(...base.values);
      const high = Math.max(...base.values);
      return {
        met: value >= low,
        detail: `${formatInteger(value)} vs ${formatInteger(low)} – ${formatInteger(high)}`,
      };
    },
  };
}

function find(rows: readonly Row[], label: string): Row | undefined {
  const row = rows.find((candidate) => candidate.label === label);
  return row !== undefined && row.values.length > 0 ? row : undefined;
}

export function formatScenario(result: ScenarioResult, index: number, verdicts: string[]): string {
  const lines = [`${index}. ${result.title}`];
  for (const note of result.notes) lines.push(`   (${note})`);
  lines.push(`   ${formatMachine(result.machine)}`);
  const base = find(result.rows, result.amqplibBaseline);
  const rascal = result.rascalBaseline === undefined ? undefined : find(result.rows, result.rascalBaseline);
  const latency = result.unit === 'ms';
  const table: string[][] = latency
    ? [['case', 'p50 ms', 'p99 ms', 'p50 range', 'p99 range', 'n', 'p50 ×amqplib', 'p99 ×amqplib']]
    : [
        [
          'case',
          'median msgs/s',
          'min – max',
          'n',
          '×amqplib',
          rascal === undefined ? '' : '×Rascal',
          'CPU µs/msg',
          'CPU ×amqplib',
          result.showModes ? 'modes: slow | fast (n)' : '',
        ],
      ];
  for (const row of result.rows) {
    if (row.values.length === 0) {
      table.push([row.label, 'FAILED', ...Array<string>(table[0]!.length - 2).fill('')]);
      continue;
    }
    const value = median(row.values);
    const ratio = (other: Row | undefined, values: (r: Row) => readonly number[] = (r) => r.values) =>
      other === undefined || other === row ? '-' : formatRatio(median(values(row)) / median(values(other)));
    if (latency) {
      const p99 = row.p99 ?? [];
      table.push([
        row.label,
        value.toFixed(2),
        median(p99).toFixed(2),
        `${Math.min(...row.values).toFixed(2)} – ${Math.max(...row.values).toFixed(2)}`,
        `${Math.min(...p99).toFixed(2)} – ${Math.max(...p99).toFixed(2)}`,
        String(row.values.length),
        ratio(base),
        ratio(base, (r) => r.p99 ?? []),
      ]);
    } else {
      const split = result.showModes ? modes(row.values) : undefined;
      table.push([
        row.label,
        formatInteger(value),
        `${formatInteger(Math.min(...row.values))} – ${formatInteger(Math.max(...row.values))}`,
        String(row.values.length),
        ratio(base),
        row.library === 'tidings' ? ratio(rascal) : '',
        median(row.cpu ?? []).toFixed(1),
        ratio(base, (r) => r.cpu ?? []),
        !result.showModes
          ? ''
          : split === undefined
            ? 'one mode'
            : `${formatInteger(median(split.slow))} (${split.slow.length}) | ${formatInteger(median(split.fast))} (${split.fast.length})`,
      ]);
    }
    if (row.errors.length > 0) {
      table.push([`  ! ${row.errors.length} failed: ${row.errors[0]}`]);
    }
  }
  lines.push(...alignTable(table).map((line) => `   ${line}`));
  for (const goal of result.goals) {
    const verdict = goal.check(result.rows);
    if (verdict === undefined) continue;
    const text = `${goal.description}: ${verdict.met ? 'MET' : 'MISSED'} (${verdict.detail})`;
    lines.push(`   goal: ${text}`);
    verdicts.push(`${result.id}: ${text}`);
  }
  return lines.join('\n');
}

function formatMachine(machine: MachineReport): string {
  const load = `load average ${machine.loadAtStart.toFixed(2)} at start, ${machine.loadAtEnd.toFixed(2)} at end`;
  const cores = machine.cores;
  if (cores === undefined) return load;
  return (
    `${load}; cores busy on average: bench ${cores.self.toFixed(2)}, RabbitMQ ${cores.broker.toFixed(2)}, ` +
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

export function formatRatio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : '-';
}
