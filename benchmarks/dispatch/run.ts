// Entry point of `npm run bench:dispatch`: runs every scenario and prints one table.
//
// Each case runs in several fresh child processes ("forks": this same file, with `--case`):
// - In one shared process the library code a case runs would be JIT-compiled with the type feedback of
//   every case before it (tidings' dispatch loop, having seen ten different listeners, is no longer
//   monomorphic when the one-listener case runs), so results would depend on the order of cases.
// - A fresh process is not enough on its own: the same case runs, process after process, at one of two
//   speeds up to 2x apart, for every library alike, while the samples within one process agree to ~1-3%.
//   It follows the memory layout: with address randomization off (`setarch -R`) nearly every process
//   is fast. So it is mostly layout luck (code/stack alignment), not the library. One process per case would
//   report that luck; the median of five forks still flips between the two speeds from run to run.
//   The best fork is what the library does when the layout does not get in the way, and it repeats
//   run after run within a few percent: that is the reported ops/s. The slowest and the median fork are
//   printed next to it, since an application can land on either speed.
// Forks are interleaved (every case once, then every case again, ...) so that a busy spell of the
// machine spreads over all cases instead of hitting one.
//
// Options:
//   --forks <n>     processes per case (default 5); the reported ops/s is the best fork's median
//   --filter <text> only cases whose scenario id or label contains the text
//   --quick         short timings and 1 fork, to check the suite works (numbers are not meaningful)
//   --from-src      children load src/ through tsx instead of the compiled build (keepNames wrappers and all)
//   --in-process    run every case in this process (forks become repetitions), to see the interference
//   --import-runs <n> fresh processes per contender for the import time (default 21, --quick 5; 0 skips it)
//   --json <file>   also write every measurement as JSON
//   --instructions  count machine instructions per operation under valgrind instead of timing (see
//                   instructions.ts): for checking a change on a machine too noisy to time it
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { scenario as asyncListener } from './async-listener.js';
import { scenario as baseClassListener } from './base-class-listener.js';
import { scenario as churn } from './churn.js';
import { formatImportTimes, measureImportTimes, type ImportTimes } from './import-time.js';
import { DEFAULT_TIMING, measure, QUICK_TIMING, type Measurement, type Scenario } from './harness.js';
import { scenario as mixedPriorities } from './mixed-priorities.js';
import { scenario as oneListener } from './one-listener.js';
import { countInstructions, formatInstructions, type InstructionCount } from './instructions.js';
import { caseKey, formatReport } from './report.js';
import { scenario as tenListeners } from './ten-listeners.js';
import { compileTidings, type Build } from '../shared/build.js';

const SCENARIOS: readonly Scenario[] = [
  oneListener,
  tenListeners,
  mixedPriorities,
  baseClassListener,
  churn,
  asyncListener,
];

const { values: args } = parseArgs({
  options: {
    case: { type: 'string' },
    forks: { type: 'string' },
    filter: { type: 'string' },
    quick: { type: 'boolean', default: false },
    'in-process': { type: 'boolean', default: false },
    'from-src': { type: 'boolean', default: false },
    'import-runs': { type: 'string' },
    json: { type: 'string' },
    instructions: { type: 'boolean', default: false },
    ops: { type: 'string' },
  },
});
const timing = args.quick ? QUICK_TIMING : DEFAULT_TIMING;
/** The compiled library the children load (undefined: they load src/ through tsx). */
let build: Build | undefined;

if (args.case !== undefined) {
  // Child mode: measure one case and hand the result to the parent as the last line of stdout.
  const [scenarioId, index] = args.case.split(':');
  const testCase = SCENARIOS.find((scenario) => scenario.id === scenarioId)?.cases[Number(index)];
  if (testCase === undefined) throw new Error(`no such case: ${args.case}`);
  if (args.ops !== undefined) {
    // Counted, not timed (`--instructions`): just the operations.
    const ops = Number(args.ops);
    if (!Number.isInteger(ops) || ops < 1) throw new Error('--ops must be a positive integer');
    await testCase.setup().run(ops);
  } else {
    process.stdout.write(`${JSON.stringify(await measure(testCase, timing))}\n`);
  }
} else if (args.instructions) {
  await countAll();
} else {
  await main();
}

/** The cases `--filter` selects, with their scenario and index (the child's `--case scenario:index`). */
function selectedCases() {
  return SCENARIOS.flatMap((scenario) =>
    scenario.cases
      .map((testCase, index) => ({ scenario, testCase, index }))
      .filter(
        ({ testCase }) =>
          args.filter === undefined ||
          scenario.id.includes(args.filter) ||
          testCase.label.includes(args.filter),
      ),
  );
}

async function main(): Promise<void> {
  const forks = Number(args.forks ?? (args.quick ? 1 : 5));
  if (!Number.isInteger(forks) || forks < 1) throw new Error('--forks must be a positive integer');
  const selected = selectedCases();
  // Children load tidings compiled as published (tidings.ts), unless asked for src/.
  build = args['in-process'] || args['from-src'] ? undefined : compileTidings();
  const loadBefore = loadAverage();
  const results = new Map<string, Measurement[]>();
  for (let fork = 1; fork <= forks; fork++) {
    for (const { scenario, testCase, index } of selected) {
      const key = caseKey(scenario, testCase.label);
      process.stderr.write(`fork ${fork}/${forks}  ${key} ...`);
      const measurement = args['in-process']
        ? await measure(testCase, timing)
        : await measureInChild(`${scenario.id}:${index}`);
      process.stderr.write(` ${Math.round(measurement.opsPerSec).toLocaleString('en-US')} ops/s\n`);
      results.set(key, [...(results.get(key) ?? []), measurement]);
    }
  }

  // The import time: unless --filter selects something else (`--filter import` measures only it).
  const importRuns = Number(args['import-runs'] ?? (args.quick ? 5 : 21));
  let importTimes: ImportTimes | undefined;
  if (importRuns > 0 && (args.filter === undefined || 'import-time'.includes(args.filter))) {
    importTimes = await measureImportTimes(importRuns, (line) => void process.stderr.write(`${line}\n`));
  }

  const cpu = cpus();
  const header = [
    `tidings dispatch benchmarks: Node ${process.version}, ${process.platform}/${process.arch}, ` +
      `${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'}), ${new Date().toISOString().slice(0, 10)}`,
    `tidings: ${build === undefined ? 'src/ through tsx (--in-process / --from-src: keepNames wrappers included)' : build.description}`,
    `ops/s = operations per second of the benchmark process's CPU time (see harness.ts); CPU = share of ` +
      `wall time it had a CPU (below ~95%: other processes competed); load average ${loadBefore} before, ` +
      `${loadAverage()} after`,
    `median ops/s of ≥${timing.minSamples} samples (~${timing.sampleMs} ms batches, ${timing.durationMs} ms per case after ` +
      `${timing.warmupMs} ms warm-up); ±MAD = median absolute deviation of the samples; ` +
      `B/op = heap bytes allocated per op`,
    args['in-process']
      ? `all cases in ONE process, ${forks} repetition(s) each; ops/s = median of the repetitions`
      : `each case in ${forks} fresh process(es); ops/s = the best process's median (see run.ts), "forks" = the slowest and the median process`,
  ].join('\n');
  const extra = importTimes === undefined ? [] : [formatImportTimes(importTimes)];
  process.stdout.write(`\n${formatReport(SCENARIOS, results, header, extra)}\n`);
  if (args.json !== undefined) {
    const json = { ...Object.fromEntries(results), ...(importTimes ? { 'import-time': importTimes } : {}) };
    writeFileSync(args.json, `${JSON.stringify(json, null, 2)}\n`);
  }
}

/** `--instructions`: every selected case counted under callgrind, one after another. */
async function countAll(): Promise<void> {
  build = args['from-src'] ? undefined : compileTidings();
  const env = childEnv();
  const counts: InstructionCount[] = [];
  for (const { scenario, testCase, index } of selectedCases()) {
    const key = caseKey(scenario, testCase.label);
    process.stderr.write(`counting ${key} ...`);
    const childArgv = (ops: number) => [
      ...process.execArgv.filter((flag) => flag !== '--expose-gc'),
      fileURLToPath(import.meta.url),
      '--case',
      `${scenario.id}:${index}`,
      '--ops',
      String(ops),
    ];
    const instructionsPerOp = await countInstructions(childArgv, env);
    process.stderr.write(` ${Math.round(instructionsPerOp)} instructions/op\n`);
    counts.push({ key, label: testCase.label, instructionsPerOp });
  }
  const baselineOf = (key: string) => {
    const scenario = SCENARIOS.find((candidate) => key.startsWith(`${candidate.id}/`));
    return scenario === undefined ? undefined : caseKey(scenario, scenario.baseline);
  };
  const header = `tidings dispatch benchmarks, --instructions: Node ${process.version}, ${build?.description ?? 'src/ through tsx'}`;
  process.stdout.write(`\n${header}\n${formatInstructions(counts, baselineOf)}\n`);
}

async function measureInChild(caseId: string): Promise<Measurement> {
  // The child gets this process's flags (`--expose-gc --import tsx`), whatever they were.
  const execArgv = process.execArgv.includes('--expose-gc')
    ? process.execArgv
    : ['--expose-gc', ...process.execArgv];
  const argv = [...execArgv, fileURLToPath(import.meta.url), '--case', caseId];
  if (args.quick) argv.push('--quick');
  const env = childEnv();
  const { stdout } = await promisify(execFile)(process.execPath, argv, { maxBuffer: 1 << 20, env });
  const lastLine = stdout.trimEnd().split('\n').at(-1) ?? '';
  return JSON.parse(lastLine) as Measurement;
}

/** A child's environment: where the build it loads is (none: it loads src/ through tsx). */
function childEnv(): NodeJS.ProcessEnv {
  return build === undefined ? process.env : { ...process.env, TIDINGS_BENCH_BUILD: build.dir };
}

function loadAverage(): string {
  return loadavg()
    .map((load) => load.toFixed(2))
    .join(' ');
}
