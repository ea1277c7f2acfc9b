// Turns the rows of each scenario into the printed tables: median and range over the repetitions, the
// ratio of each row to the scenario's baseline, CPU per unit, SQL round trips per unit, the relay's
// phases, and the verdict on the goals.
import { median } from '../amqp/harness.js';
import { alignTable, formatInteger, formatRatio } from '../amqp/report.js';
import type { MachineReport, Row, ScenarioResult } from './harness.js';

export function formatScenario(result: ScenarioResult, index: number, verdicts: string[]): string {
  const lines = [`${index}. ${result.title}`];
  for (const note of result.notes) lines.push(`   (${note})`);
  lines.push(`   ${formatMachine(result.machine)}`);
  const base = result.rows.find((row) => row.label === result.baseline && row.values.length > 0);
  const flush = result.per === 'flush';
  const table: string[][] = [
    [
      'case',
      `median ${result.unit}`,
      'min – max',
      'n',
      `×${result.ratioTo ?? (flush ? 'no outbox' : 'send')}`,
      flush ? 'ms/flush' : 'µs/msg',
      flush ? 'overhead ms' : '',
      `CPU µs/${result.per}`,
      `broker µs/${result.per}`,
      `DB µs/${result.per}`,
      `SQL round trips/${result.per}`,
    ],
  ];
  for (const row of result.rows) {
    if (row.values.length === 0) {
      table.push([row.label, 'FAILED', ...Array<string>(table[0]!.length - 2).fill('')]);
    } else {
      // Flush rows compare with the row without the outbox for the same number of events.
      const reference = flush ? peerWithoutOutbox(result.rows, row) : base;
      const value = median(row.values);
      const ms = 1000 / value;
      table.push([
        row.label,
        formatInteger(value),
        `${formatInteger(Math.min(...row.values))} – ${formatInteger(Math.max(...row.values))}`,
        String(row.values.length),
        reference === undefined || reference === row ? '-' : formatRatio(value / median(reference.values)),
        flush ? ms.toFixed(3) : (ms * 1000).toFixed(1),
        flush && reference !== undefined && reference !== row
          ? signed(ms - 1000 / median(reference.values), 3)
          : '',
        median(row.cpu).toFixed(1),
        row.broker.length > 0 ? median(row.broker).toFixed(1) : '-',
        row.database.length > 0 ? median(row.database).toFixed(1) : '-',
        flush ? formatTrips(row) : perUnit(row),
      ]);
    }
    if (row.errors.length > 0) table.push([`  ! ${row.errors.length} failed: ${row.errors[0]}`]);
  }
  lines.push(...alignTable(table).map((line) => `   ${line}`));
  const counted = result.rows.filter((row) => row.roundTrips.byKind.size > 0);
  if (counted.length > 0) {
    const first = counted[0]!.roundTrips;
    lines.push(
      '',
      flush
        ? '   SQL round trips by statement, per flush:'
        : `   SQL round trips by statement, per repetition (${formatInteger(first.units / first.repetitions)} messages):`,
    );
    for (const row of counted) lines.push(`     ${row.label}: ${formatKinds(row, flush)}`);
  }
  const relayRows = result.rows.filter((row) => row.phases !== undefined && row.phases.batches > 0);
  if (relayRows.length > 0) {
    lines.push('', '   Relay phases, mean per batch (all repetitions):');
    const phases: string[][] = [
      ['case', 'batches', 'claim ms', 'publish+confirm ms', 'mark ms', 'share: claim / publish / mark'],
    ];
    for (const row of relayRows) {
      const p = row.phases!;
      const busy = p.claimMs + p.publishMs + p.markMs;
      const share = (ms: number) => `${Math.round((ms / busy) * 100)}%`;
      phases.push([
        row.label,
        formatInteger(p.batches),
        (p.claimMs / p.batches).toFixed(2),
        (p.publishMs / p.batches).toFixed(2),
        (p.markMs / p.batches).toFixed(2),
        `${share(p.claimMs)} / ${share(p.publishMs)} / ${share(p.markMs)}`,
      ]);
    }
    lines.push(...alignTable(phases).map((line) => `     ${line}`));
  }
  if (result.summary !== undefined && result.summary.length > 0) {
    lines.push('', ...result.summary.map((line) => `   ${line}`));
  }
  for (const goal of result.goals) {
    const text = `${goal.description}: ${goal.met ? 'MET' : 'MISSED'} (${goal.detail})`;
    lines.push(`   goal: ${text}`);
    verdicts.push(`${result.id}: ${text}`);
  }
  return lines.join('\n');
}

/** `+0.123` or `-0.123`: an overhead can come out negative when the machine's noise exceeds it. */
function signed(value: number, digits: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(digits)}`;
}

function peerWithoutOutbox(rows: readonly Row[], row: Row): Row | undefined {
  const events = row.label.split(',')[0];
  return rows.find(
    (candidate) =>
      candidate.label.split(',')[0] === events &&
      candidate.label.includes('no outbox') &&
      candidate.values.length > 0,
  );
}

/** The round trips of every measured flush: one number when all flushes agree. */
export function formatTrips(row: Row): string {
  const counts = [...row.roundTrips.perUnit.entries()].sort((a, b) => a[0] - b[0]);
  if (counts.length === 0) return '-';
  return counts.length === 1
    ? String(counts[0]![0])
    : counts.map(([trips, n]) => `${trips} (×${n})`).join(', ');
}

function perUnit(row: Row): string {
  const { units, byKind } = row.roundTrips;
  if (units === 0 || byKind.size === 0) return '-';
  const total = [...byKind.values()].reduce((sum, count) => sum + count, 0);
  return (total / units).toFixed(4);
}

/** e.g. `BEGIN 1, business INSERT 1, outbox INSERT 1, COMMIT 1` (per flush, or per repetition). */
function formatKinds(row: Row, perFlush: boolean): string {
  const { units, repetitions, byKind } = row.roundTrips;
  const divisor = perFlush ? units : repetitions;
  return [...byKind.entries()]
    .map(([kind, count]) => `${kind} ${Number((count / divisor).toFixed(2))}`)
    .join(', ');
}

function formatMachine(machine: MachineReport): string {
  const load = `load average ${machine.loadAtStart.toFixed(2)} at start, ${machine.loadAtEnd.toFixed(2)} at end`;
  const cores = machine.cores;
  if (cores === undefined) return load;
  return (
    `${load}; cores busy while measuring: bench ${cores.self.toFixed(2)}, RabbitMQ ${cores.broker.toFixed(2)}, ` +
    `PostgreSQL ${cores.postgres.toFixed(2)}, MariaDB/MySQL ${cores.mysql.toFixed(2)}, other processes ${cores.other.toFixed(2)}`
  );
}
