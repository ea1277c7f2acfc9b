// Turns measurements into the printed table: ops/s, ratio to each scenario's baseline, bytes per op,
// and a verdict on the project's goals.
import { median, type Measurement, type Scenario } from './harness.js';

/** Every fork's measurement of each case, keyed by `caseKey()`. */
export type Results = ReadonlyMap<string, readonly Measurement[]>;

export function caseKey(scenario: Scenario, label: string): string {
  return `${scenario.id}/${label}`;
}

/** Bytes per dispatch below this count as "no allocation": what is left is measurement noise. */
const NO_ALLOCATION = 0.5;

interface Row {
  readonly label: string;
  readonly peer: boolean;
  /** The best fork's median: see run.ts for why the best and not the median fork. */
  readonly opsPerSec: number;
  readonly mad: number;
  /** Slowest fork's and median fork's ops/s. */
  readonly slowest: number;
  readonly medianFork: number;
  readonly forks: number;
  readonly bytesPerOp: number;
  /** Median share of wall time the forks had a CPU. */
  readonly cpuShare: number;
}

export function formatReport(
  scenarios: readonly Scenario[],
  results: Results,
  header: string,
  /** More sections (e.g. the import time), each with its verdict. */
  extra: readonly { lines: readonly string[]; verdict: string }[] = [],
): string {
  const lines = [header, ''];
  const verdicts: string[] = [];
  scenarios.forEach((scenario, index) => {
    const rows = rowsOf(scenario, results);
    if (rows.length === 0) return;
    const baseline = rows.find((row) => row.label === scenario.baseline);
    const ratio = (row: Row): number | undefined => baseline && row.opsPerSec / baseline.opsPerSec;
    lines.push(`${index + 1}. ${scenario.title}   [ratio: × ${scenario.baseline}]`);
    if (scenario.note !== undefined) lines.push(`   (${scenario.note})`);
    const showForks = rows.some((row) => row.forks > 1);
    const table = [
      ['case', 'ops/s', '±MAD', 'ratio', 'B/op', 'CPU', ...(showForks ? ['forks: slowest / median'] : [])],
      ...rows.map((row) => [
        row.label,
        formatInteger(row.opsPerSec),
        formatPercent(row.mad),
        formatRatio(ratio(row)),
        row.bytesPerOp.toFixed(2),
        `${Math.round(row.cpuShare * 100)}%`,
        ...(showForks ? [`${formatMillions(row.slowest)} / ${formatMillions(row.medianFork)}`] : []),
      ]),
    ];
    lines.push(...alignTable(table).map((line) => `   ${line}`));

    const peers = rows.filter((row) => row.peer);
    const fastestPeer = peers.reduce<Row | undefined>(
      (best, row) => (best === undefined || row.opsPerSec > best.opsPerSec ? row : best),
      undefined,
    );
    for (const goal of scenario.goals ?? []) {
      const row = rows.find((candidate) => candidate.label === goal.label);
      const against = goal.against === 'best peer' ? fastestPeer : baseline;
      if (row === undefined || against === undefined) continue;
      const value = row.opsPerSec / against.opsPerSec;
      const versus =
        goal.against === 'best peer'
          ? `best emitter (fastest of ${peers.map((peer) => peer.label).join(', ')}: ${against.label})`
          : against.label;
      const verdict = `${goal.label} ≥ ${goal.atLeast.toFixed(2)}× ${versus}: ${value >= goal.atLeast ? 'MET' : 'MISSED'} (${formatRatio(value)})`;
      lines.push(`   goal: ${verdict}`);
      verdicts.push(`${scenario.title}: ${verdict}`);
    }
    const primary = rows.find((row) => row.label === scenario.primary);
    const hasPeerGoal = scenario.goals?.some((goal) => goal.against === 'best peer') === true;
    if (primary !== undefined && fastestPeer !== undefined && !hasPeerGoal) {
      const verdict = `${primary.label} vs fastest peer (${fastestPeer.label}): ${formatRatio(primary.opsPerSec / fastestPeer.opsPerSec)}, ${primary.opsPerSec > fastestPeer.opsPerSec ? 'beaten' : 'NOT beaten'}`;
      lines.push(`   aim:  ${verdict}`);
      verdicts.push(`${scenario.title}: ${verdict}`);
    }
    lines.push('');
  });

  const allocating = scenarios.flatMap((scenario) =>
    rowsOf(scenario, results)
      .filter((row) => row.label === 'tidings dispatchSync')
      .map((row) => ({ scenario, row })),
  );
  if (allocating.length > 0) {
    const worst = Math.max(...allocating.map(({ row }) => row.bytesPerOp));
    verdicts.push(
      `no allocation per dispatchSync (< ${NO_ALLOCATION} B/dispatch): ${worst < NO_ALLOCATION ? 'MET' : 'MISSED'} (worst ${worst.toFixed(2)} B/dispatch)`,
    );
  }
  for (const section of extra) {
    lines.push(...section.lines, '');
    verdicts.push(section.verdict);
  }
  lines.push('Summary', ...verdicts.map((verdict) => `  - ${verdict}`));
  return lines.join('\n');
}

function rowsOf(scenario: Scenario, results: Results): Row[] {
  const rows: Row[] = [];
  for (const testCase of scenario.cases) {
    const forks = results.get(caseKey(scenario, testCase.label));
    if (forks === undefined || forks.length === 0) continue;
    const medians = forks.map((fork) => fork.opsPerSec);
    rows.push({
      label: testCase.label,
      peer: testCase.library !== 'tidings',
      opsPerSec: Math.max(...medians),
      mad: median(forks.map((fork) => fork.mad)),
      slowest: Math.min(...medians),
      medianFork: median(medians),
      forks: forks.length,
      bytesPerOp: median(forks.map((fork) => fork.bytesPerOp)),
      cpuShare: median(forks.map((fork) => fork.cpuShare)),
    });
  }
  return rows;
}

function alignTable(table: readonly (readonly string[])[]): string[] {
  const widths = table[0]!.map((_, column) => Math.max(...table.map((row) => row[column]!.length)));
  // The label column is left-aligned, numbers are right-aligned.
  return table.map((row) =>
    row
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ')
      .trimEnd(),
  );
}

function formatInteger(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function formatMillions(value: number): string {
  return `${(value / 1e6).toFixed(value < 1e7 ? 2 : 1)}M`;
}

function formatPercent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

function formatRatio(value: number | undefined): string {
  return value === undefined ? '-' : `${value.toFixed(2)}×`;
}
