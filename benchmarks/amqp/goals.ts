// Ratios between rows, and issue 15's goals built on them.
//
// Every ratio pairs the repetitions of one round: a row's value in round r divided by its baseline's
// value in the same round r (the two ran one after the other, under the same conditions), then the
// median over the rounds. "Best peer" is, in each round, the fastest of the peers in the row's group
// (raw amqplib, Rascal, amqp-connection-manager: whichever ran there) — for latency the lowest.
import { LIBRARY_NAMES, median, type Goal, type Row, type Verdict } from './harness.js';

type Pick = (row: Row) => readonly number[];
const VALUES: Pick = (row) => row.values;

/** Median over the rounds both rows measured of `row / base` (undefined if they share none). */
export function pairedRatio(row: Row, base: Row, pick: Pick = VALUES): number | undefined {
  const ratios: number[] = [];
  row.rounds.forEach((round, index) => {
    const other = base.rounds.indexOf(round);
    if (other === -1) return;
    const ratio = pick(row)[index]! / pick(base)[other]!;
    if (!Number.isNaN(ratio)) ratios.push(ratio); // NaN: a figure that could not be read (broker CPU)
  });
  return ratios.length === 0 ? undefined : median(ratios);
}

/** The peers `row` is compared with: the non-tidings rows of its group. */
export function peersOf(row: Row, rows: readonly Row[]): Row[] {
  return rows.filter(
    (other) =>
      other.group === row.group && other.library !== 'tidings' && other.reference !== true && other !== row,
  );
}

/** Median over the rounds of `row / the best peer of that round` (lowest for latency: `lowerIsBetter`). */
export function bestPeerRatio(
  row: Row,
  rows: readonly Row[],
  lowerIsBetter = false,
  pick: Pick = VALUES,
): number | undefined {
  const ratios = bestPeerRounds(row, rows, lowerIsBetter, pick).map(({ ratio }) => ratio);
  return ratios.length === 0 ? undefined : median(ratios);
}

/** For each round `row` measured: the best peer of that round and `row`'s ratio to it. */
function bestPeerRounds(
  row: Row,
  rows: readonly Row[],
  lowerIsBetter: boolean,
  pick: Pick,
): { best: Row; ratio: number }[] {
  const peers = peersOf(row, rows);
  const rounds: { best: Row; ratio: number }[] = [];
  row.rounds.forEach((round, index) => {
    let best: { peer: Row; value: number } | undefined;
    for (const peer of peers) {
      const at = peer.rounds.indexOf(round);
      if (at === -1) continue;
      const value = pick(peer)[at]!;
      if (best === undefined || (lowerIsBetter ? value < best.value : value > best.value)) {
        best = { peer, value };
      }
    }
    if (best !== undefined) rounds.push({ best: best.peer, ratio: pick(row)[index]! / best.value });
  });
  return rounds;
}

/** The amqplib row of `row`'s group (its `× amqplib` baseline). */
export function amqplibOf(row: Row, rows: readonly Row[]): Row | undefined {
  return rows.find(
    (other) => other.group === row.group && other.library === 'amqplib' && other.reference !== true,
  );
}

export function findRow(rows: readonly Row[], label: string): Row | undefined {
  const row = rows.find((candidate) => candidate.label === label);
  return row !== undefined && row.values.length > 0 ? row : undefined;
}

export function formatRatio(value: number | undefined): string {
  return value !== undefined && Number.isFinite(value) ? `${value.toFixed(2)}×` : '-';
}

function threshold(ratio: number | undefined, atLeast: number): Verdict | undefined {
  return ratio === undefined ? undefined : { met: ratio >= atLeast, detail: formatRatio(ratio) };
}

/** Throughput: `label` ≥ `atLeast` × `baseline`, paired by round. */
export function ratioGoal(label: string, baseline: string, atLeast: number): Goal {
  return {
    description: `${label} ≥ ${atLeast}× ${baseline}`,
    check(rows) {
      const row = findRow(rows, label);
      const base = findRow(rows, baseline);
      return row && base && threshold(pairedRatio(row, base), atLeast);
    },
  };
}

/** Throughput: `label` ≥ `atLeast` × the fastest peer of each round. */
export function bestPeerGoal(label: string, atLeast: number): Goal {
  return {
    description: `${label} ≥ ${atLeast}× best peer (fastest of amqplib, Rascal, amqp-connection-manager in each repetition)`,
    check(rows) {
      const row = findRow(rows, label);
      const verdict = row && threshold(bestPeerRatio(row, rows), atLeast);
      if (row === undefined || verdict === undefined) return undefined;
      // Which peer was the fastest, in how many rounds.
      const counts = new Map<string, number>();
      for (const { best } of bestPeerRounds(row, rows, false, VALUES)) {
        const name = LIBRARY_NAMES[best.library];
        counts.set(name, (counts.get(name) ?? 0) + 1);
      }
      const fastest = [...counts].map(([name, count]) => `${name} ${count}`).join(', ');
      return { ...verdict, detail: `${verdict.detail}; fastest peer, rounds: ${fastest}` };
    },
  };
}

/** Latency: `label`'s p50 or p99 ≤ `atMost` × `baseline`'s, paired by round. */
/** `label`'s latency quantile against `baseline`'s: at most `atMost`×, or only reported without it. */
export function latencyGoal(label: string, baseline: string, quantile: 'p50' | 'p99', atMost?: number): Goal {
  const pick: Pick = quantile === 'p50' ? VALUES : (row) => row.p99 ?? [];
  return {
    description:
      atMost === undefined
        ? `${label}: ${quantile} ÷ ${baseline}`
        : `${label}: ${quantile} ≤ ${atMost}× ${baseline}`,
    check(rows) {
      const row = findRow(rows, label);
      const base = findRow(rows, baseline);
      const ratio = row && base && pairedRatio(row, base, pick);
      if (ratio === undefined) return undefined;
      return atMost === undefined
        ? { detail: formatRatio(ratio) }
        : { met: ratio <= atMost, detail: formatRatio(ratio) };
    },
  };
}

/** No threshold: `label ÷ baseline`, reported (e.g. what an OpenTelemetry SDK costs). */
export function reportedRatio(what: string, label: string, baseline: string, pick: Pick = VALUES): Goal {
  return {
    description: `${what}: ${label} ÷ ${baseline}`,
    check(rows) {
      const row = findRow(rows, label);
      const base = findRow(rows, baseline);
      const ratio = row && base && pairedRatio(row, base, pick);
      const cpu = row && base && pairedRatio(row, base, (r) => r.cpu ?? []);
      if (ratio === undefined) return undefined;
      return {
        detail: `${formatRatio(ratio)} throughput${cpu === undefined || !Number.isFinite(cpu) ? '' : `, ${formatRatio(cpu)} CPU per message`}`,
      };
    },
  };
}
