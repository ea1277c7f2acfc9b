// Each scenario reports its measured figures: printed, and written to test/.tmp/reliability/ so that
// `npm run test:reliability` can end with one table (scripts/reliability-summary.mjs) for the README.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CheckResult } from './history.js';
import { RELIABILITY_SIZE } from './size.js';

const DIRECTORY = fileURLToPath(new URL('../.tmp/reliability/', import.meta.url));

export interface ScenarioFigures {
  /** Short label, also the file name: `1-broker-closes-connections`. */
  scenario: string;
  /** What was done, with its size: "10,000 publishes, connections closed every 500 ms". */
  size: string;
  lost: number;
  phantom: number;
  duplicated: number;
  recovered?: number;
  /** Milliseconds from each fault's end until the system worked again, where the scenario measures it. */
  recoveryMs?: number[];
  /** Anything else worth a column: repeat counts, heap growth, unacked left. */
  notes?: string;
}

export function figuresFrom(
  result: CheckResult,
): Pick<ScenarioFigures, 'lost' | 'phantom' | 'duplicated' | 'recovered'> {
  return {
    lost: result.lost.length,
    phantom: result.phantom.length,
    duplicated: result.duplicated,
    recovered: result.recovered,
  };
}

export function reportFigures(figures: ScenarioFigures): void {
  const record = { ...figures, runSize: RELIABILITY_SIZE, at: new Date().toISOString() };
  mkdirSync(DIRECTORY, { recursive: true });
  writeFileSync(`${DIRECTORY}${figures.scenario}.json`, `${JSON.stringify(record, null, 2)}\n`);
  console.info(`[reliability ${figures.scenario}] ${JSON.stringify(record)}`);
}
