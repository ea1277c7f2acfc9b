// One repetition of one case, in a process of its own (see rounds.ts): the parent passes
// `{ scenario, label, warm, setup }` as JSON in the first argument; the last line of stdout is the
// result (`ChildReport`). The process loads only the library the case measures (the cases import their
// client lazily), and exits once the case is done.
import type { ChildReport } from './rounds.js';
import { loadScenario } from './scenarios.js';
import { describeError } from './harness.js';

// As in the parent: tsx turns on source-mapped stack traces, which production code runs without, and
// tidings formats the handler's error stack into every repeat.
process.setSourceMapsEnabled(false);

const request = JSON.parse(process.argv[2] ?? '{}') as {
  scenario: string;
  label: string;
  warm: boolean;
  setup: unknown;
};

let report: ChildReport;
try {
  const scenario = await loadScenario(request.scenario);
  const testCase = scenario.cases.find((candidate) => candidate.label === request.label);
  if (testCase === undefined) throw new Error(`${request.scenario}: no case "${request.label}"`);
  report = { ok: true, value: await testCase.once(request.setup, request.warm) };
} catch (error) {
  report = { ok: false, error: describeError(error) };
}
process.stdout.write(`${JSON.stringify(report)}\n`, () => process.exit(0));
