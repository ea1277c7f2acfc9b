// Entry point of `npm run bench:amqp`: tidings vs raw amqplib, Rascal and amqp-connection-manager
// against the real broker, in one run, and one report. See README.md for what each scenario measures.
//
// This process orchestrates: it declares and fills the queues, runs every repetition of every case in a
// fresh child process (rounds.ts, child.ts), interleaving the cases round after round, and prints the
// tables with the ratios and the verdict on issue 15's goals. It compiles tidings once (tidings.ts) and
// hands the build to the children in TIDINGS_BENCH_BUILD.
//
// Before measuring, it waits (up to --max-wait-s in all) until the machine is quiet: the 1-minute load
// average at most --max-load at the start, and, before each scenario, other processes (the broker
// included: other test suites use it too) keeping at most --max-busy cores busy over 3 s. Everything
// the run declares is named `tbench-<run id>…` and deleted at the end, also on failure or Ctrl-C.
//
// Options:
//   --only <ids>      comma-separated scenarios: publish, consume, consume-1000, latency, repeat-cycle
//   --filter <text>   only cases whose label contains the text (e.g. to profile one case)
//   --quick           one short repetition of everything, to check the suite works
//   --max-load <n>    load average to wait for before starting (default 1.5)
//   --max-busy <n>    cores other processes may keep busy before a scenario starts (default 0.75)
//   --max-wait-s <n>  total time to wait for a quiet machine (default 600)
//   --timeout-s <n>   give up after this long measuring, waits not counted (default 1800): cleans up and
//                     prints what it has
//   --json <file>     also write every repetition's value as JSON
//   --repeat-messages <n>  messages per repetition of repeat-cycle (default 20000, the size issue 15
//                     measured at; each repetition is a fresh process, so 1500 measures mostly its cold start)
//   --from-src        load tidings from src/ through tsx instead of a build as published (see tidings.ts)
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Admin, Names } from './admin.js';
import { describeError, type RunContext, type ScenarioResult } from './harness.js';
import { othersBusy } from './machine.js';
import { formatScenario } from './report.js';
import { runScenario } from './rounds.js';
import { loadScenario, SCENARIO_IDS } from './scenarios.js';
import { runControl, sourceState } from '../shared/run-control.js';

// tsx turns on source-map translation of stack traces; compiled code in production runs without it.
// Formatting a stack (tidings writes the handler's error stack into the header of every repeat copy)
// costs about twice as much with it, so it is turned off to measure what an application would see.
process.setSourceMapsEnabled(false);

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    filter: { type: 'string' },
    quick: { type: 'boolean', default: false },
    'max-load': { type: 'string', default: '1.5' },
    'max-busy': { type: 'string', default: '0.75' },
    'max-wait-s': { type: 'string', default: '600' },
    'timeout-s': { type: 'string', default: '1800' },
    json: { type: 'string' },
    'from-src': { type: 'boolean', default: false },
    'repeat-messages': { type: 'string', default: '20000' },
  },
});

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const names = new Names();
let cleaning: Promise<void> | undefined;
const cleanUp = (): Promise<void> => (cleaning ??= Admin.cleanUp(names, log));

const results: ScenarioResult[] = [];
const control = runControl({
  timeoutS: Number(args['timeout-s']),
  maxWaitS: Number(args['max-wait-s']),
  log,
  cleanUp,
});
const { waitForQuiet } = control;

async function main(): Promise<void> {
  const only = args.only?.split(',').map((id) => id.trim());
  const unknown = only?.filter((id) => !(SCENARIO_IDS as readonly string[]).includes(id)) ?? [];
  if (unknown.length > 0)
    throw new Error(`--only: no such scenario ${unknown.join(', ')} (${SCENARIO_IDS.join(', ')})`);
  const ids = SCENARIO_IDS.filter((id) => only === undefined || only.includes(id));
  if (ids.length === 0) throw new Error(`--only: no such scenario (${SCENARIO_IDS.join(', ')})`);

  const maxLoad = Number(args['max-load']);
  await waitForQuiet('start', async () => {
    const load = loadavg()[0]!;
    return load > maxLoad ? `load average ${load.toFixed(2)} > ${maxLoad}` : undefined;
  });
  // Loaded only now: loading it compiles tidings (tidings.ts), which would itself raise the load.
  const { tidingsBuild, tidingsBuildDir } = await import('./tidings.js');
  if (tidingsBuildDir !== undefined) process.env['TIDINGS_BENCH_BUILD'] = tidingsBuildDir;
  const scenarios = await Promise.all(ids.map((id) => loadScenario(id)));
  const measured = `tidings measured: ${sourceState()}; ${tidingsBuild}`;
  const loadAtStart = loadavg()[0]!;

  const admin = await Admin.open();
  const repeatMessages = Number(args['repeat-messages']);
  if (!Number.isInteger(repeatMessages) || repeatMessages < 100)
    throw new Error(`--repeat-messages: expected an integer ≥ 100, got ${args['repeat-messages']}`);
  const context: RunContext = { names, admin, quick: args.quick, repeatMessages, log };
  const roundOptions = {
    filter: args.filter,
    childArgs: args['from-src'] ? ['--from-src'] : [],
    childTimeoutMs: 300_000,
  };
  control.printReport = () => {
    const cpu = cpus();
    const header = [
      `tidings AMQP benchmarks: Node ${process.version}, ${process.platform}/${process.arch}, ${cpu.length} cores ` +
        `(${cpu[0]?.model.trim() ?? 'unknown CPU'}), ${admin.server}, ${new Date().toISOString().slice(0, 10)}` +
        (args.quick ? '  [--quick: numbers are not meaningful]' : ''),
      `load average ${loadAtStart.toFixed(2)} when measuring began, ${loadavg()[0]!.toFixed(2)} at the end ` +
        `(this benchmark and the broker alone keep ~2 cores busy: the load rises during the run)`,
      measured,
    ];
    const verdicts: string[] = [];
    const sections = results.map((result, index) => formatScenario(result, index + 1, verdicts));
    const summary = ['Goals', ...verdicts.map((verdict) => `  - ${verdict}`)];
    process.stdout.write(`\n${[header.join('\n'), ...sections, summary.join('\n')].join('\n\n')}\n`);
    if (args.json !== undefined) {
      writeFileSync(args.json, `${JSON.stringify({ date: new Date().toISOString(), results }, null, 2)}\n`);
    }
  };
  try {
    for (const scenario of scenarios) {
      const maxBusy = Number(args['max-busy']);
      await waitForQuiet(scenario.id, async () => {
        const busy = await othersBusy(3000);
        return busy !== undefined && busy > maxBusy
          ? `other processes keep ${busy.toFixed(2)} cores busy (> ${maxBusy})`
          : undefined;
      });
      log(`${scenario.id} ...`);
      const started = Date.now();
      try {
        results.push(await runScenario(scenario, context, roundOptions));
        log(`${scenario.id} done in ${Math.round((Date.now() - started) / 1000)} s`);
      } catch (error) {
        log(`${scenario.id} FAILED: ${describeError(error)}`);
        process.exitCode = 1;
      }
    }
  } finally {
    await admin.close();
    await cleanUp();
  }
  const report = control.printReport;
  control.printReport = undefined;
  report();
}

try {
  await main();
} catch (error) {
  await control.abort(`bench:amqp failed: ${describeError(error)}`, 1);
}
