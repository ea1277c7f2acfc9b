// Entry point of `npm run bench:outbox`: what the transactional outbox costs, against the real
// PostgreSQL and RabbitMQ, in one run and one report. See README.md for what each scenario measures.
//
// Every repetition of every case runs in a fresh child process (this same file, with `--child`), as in
// bench:dispatch. In one shared process the cases would change each other's conditions: each Flusher and
// PgUnitOfWork creates an AsyncLocalStorage that stays registered for the life of the process, and every
// promise created afterwards runs the propagation hook of each of them. After the flush scenario's 24
// repetitions, Publisher.send used ~95 µs of CPU per message instead of ~25 (see README.md). A child
// starts with what a process of the application has: at most one Flusher and one unit of work. The parent
// compiles tidings once (../amqp/tidings.ts), prepares each repetition (tables, queues, outbox rows),
// runs the child and checks what it did (every message in the queue, no row left unpublished).
//
// Before measuring, it waits (up to --max-wait-s in all) until the machine is quiet: the 1-minute load
// average at most --max-load at the start, and, before each scenario, other processes (the servers
// included: other test suites use them too) keeping at most --max-busy cores busy over 3 s. Everything
// the run creates is named `tbench-<run id>…` (queues, exchanges) or `tbench_<run id>_…` (tables) and
// deleted at the end, also on failure or Ctrl-C.
//
// Options:
//   --only <ids>          comma-separated scenarios: flush, relay, flush-adapters, relay-mysql
//   --adapters <list>     flush-adapters: adapters (pg, mysql2, knex, kysely, drizzle, typeorm,
//                         mikro-orm, prisma), one on one database (mysql/knex) or databases
//                         (postgres, mysql); default all
//   --filter <text>       only cases whose label contains the text
//   --rows <n>            messages per relay repetition (default 20000)
//   --batch-sizes <list>  the relay's batch sizes, the default first (default 500,100,1000)
//   --relays <n>          relays of the extra case that runs several in one process, with the default
//                         batch size (default 4; 1 leaves the case out)
//   --rounds <n>          repetitions of each case, each in its own process (default 5)
//   --quick               one short repetition of everything, to check the suite works
//   --max-load <n>        load average to wait for before starting (default 1.5)
//   --max-busy <n>        cores other processes may keep busy before a scenario starts (default 0.75)
//   --max-wait-s <n>      total time to wait for a quiet machine (default 600)
//   --timeout-s <n>       give up after this long measuring, waits not counted (default 1200): cleans
//                         up and prints what it has
//   --json <file>         also write every repetition's value as JSON
//   --from-src            load tidings from src/ through tsx instead of a tsc build (see ../amqp/tidings.ts)
import { execFile, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Admin, Names } from '../amqp/admin.js';
import { describeError } from '../amqp/harness.js';
import { othersBusy } from '../amqp/machine.js';
import { runControl, sourceState } from '../shared/run-control.js';
import {
  createPool,
  MachineTotals,
  newRow,
  PgNames,
  record,
  type ParentContext,
  type Repetition,
  type Row,
  type RunOptions,
  type Scenario,
  type ScenarioResult,
  type Setup,
} from './harness.js';
import { MysqlSide } from './adapters.js';
import { formatScenario } from './report.js';

const SCENARIO_IDS = ['flush', 'relay', 'flush-adapters', 'relay-mysql'];

// As in bench:amqp: tsx turns on source-mapped stack traces, which production code runs without.
process.setSourceMapsEnabled(false);

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    adapters: { type: 'string' },
    filter: { type: 'string' },
    rows: { type: 'string' },
    'batch-sizes': { type: 'string', default: '500,100,1000' },
    rounds: { type: 'string' },
    relays: { type: 'string', default: '4' },
    quick: { type: 'boolean', default: false },
    'max-load': { type: 'string', default: '1.5' },
    'max-busy': { type: 'string', default: '0.75' },
    'max-wait-s': { type: 'string', default: '600' },
    'timeout-s': { type: 'string', default: '1200' },
    json: { type: 'string' },
    'from-src': { type: 'boolean', default: false },
    child: { type: 'string' },
  },
});

/** What the parent asks of a child: one repetition of one case. */
interface ChildRequest {
  readonly scenario: string;
  readonly index: number;
  readonly setup: Setup;
  readonly options: RunOptions;
}

const log = (line: string): void => void process.stderr.write(`${line}\n`);

if (args.child !== undefined) {
  await runChild(JSON.parse(args.child) as ChildRequest);
} else {
  await runParent();
}

/** Child mode: measures one repetition and hands it to the parent as the last line of stdout. */
async function runChild(request: ChildRequest): Promise<void> {
  try {
    const { scenario } = (await import(`./${request.scenario}.js`)) as { scenario: Scenario };
    const testCase = scenario.cases(request.setup, request.options)[request.index];
    if (testCase === undefined) throw new Error(`no case ${request.index} in ${request.scenario}`);
    const repetition = await testCase.measure(request.setup, request.options);
    process.stdout.write(`${JSON.stringify(repetition)}\n`, () => process.exit(0));
  } catch (error) {
    log(`child failed: ${describeError(error)}`);
    process.exit(1);
  }
}

async function runParent(): Promise<void> {
  const names = new Names();
  const pgNames = new PgNames(names);
  const adminPool = createPool('bench-outbox-admin');
  const mysql = new MysqlSide();
  let child: ChildProcess | undefined;
  let cleaning: Promise<void> | undefined;
  const cleanUp = (): Promise<void> =>
    (cleaning ??= (async () => {
      child?.kill();
      await Admin.cleanUp(names, log);
      await pgNames.dropAll(adminPool, log);
      await mysql.dropAll(log);
      await adminPool.end().catch(() => {});
    })());

  const results: ScenarioResult[] = [];
  const control = runControl({
    timeoutS: Number(args['timeout-s']),
    maxWaitS: Number(args['max-wait-s']),
    log,
    cleanUp,
  });
  const { waitForQuiet } = control;

  /** Runs one repetition in a fresh process of this file; rejects with the child's last error line. */
  function inChild(request: ChildRequest, buildDir: string | undefined): Promise<Repetition> {
    const argv = [...process.execArgv, fileURLToPath(import.meta.url), '--child', JSON.stringify(request)];
    if (args['from-src']) argv.push('--from-src');
    const env = buildDir === undefined ? process.env : { ...process.env, TIDINGS_BENCH_BUILD: buildDir };
    return new Promise((resolve, reject) => {
      child = execFile(process.execPath, argv, { env, maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
        child = undefined;
        if (error !== null) {
          const lastLine = stderr.trim().split('\n').at(-1);
          reject(new Error(lastLine === undefined || lastLine === '' ? describeError(error) : lastLine));
          return;
        }
        try {
          resolve(JSON.parse(stdout.trimEnd().split('\n').at(-1) ?? '') as Repetition);
        } catch (parseError) {
          reject(parseError instanceof Error ? parseError : new Error(String(parseError)));
        }
      });
    });
  }

  async function runScenario(
    scenario: Scenario,
    context: ParentContext,
    rounds: number,
    buildDir: string | undefined,
  ): Promise<ScenarioResult> {
    const setup = await scenario.setUp(context);
    const cases = scenario
      .cases(setup, context.options)
      .map((testCase, index) => ({ testCase, index, row: newRow(testCase) }))
      .filter(({ testCase }) => args.filter === undefined || testCase.label.includes(args.filter));
    const machine = new MachineTotals();
    for (let round = 1; round <= rounds; round++) {
      // Each round starts with the next case, so that no case always runs first (or last) in a round.
      const order = cases.map((_, index) => cases[(index + round - 1) % cases.length]!);
      for (const { testCase, index, row } of order) {
        let repetition: Repetition | undefined;
        let failure: unknown;
        try {
          await testCase.before?.(context, setup);
          repetition = await inChild(
            { scenario: scenario.id, index, setup, options: context.options },
            buildDir,
          );
        } catch (error) {
          failure = error;
        }
        try {
          // Also after a failure: it empties the queue for the next case.
          await testCase.after?.(context, setup);
        } catch (error) {
          failure ??= error;
        }
        const name = `round ${round}/${rounds}  ${row.label}`;
        if (failure !== undefined || repetition === undefined) {
          row.errors.push(describeError(failure));
          log(`  ${name}: FAILED ${describeError(failure)}`);
          continue;
        }
        record(row, repetition);
        machine.add(repetition.cpuSample);
        log(
          `  ${name}: ${Math.round(repetition.rate).toLocaleString('en-US')}/s, ` +
            `${repetition.cpuUs.toFixed(1)} µs CPU each`,
        );
      }
    }
    const rows: Row[] = cases.map(({ row }) => row);
    return scenario.result(rows, context.options, machine.report());
  }

  try {
    const only = args.only?.split(',').map((id) => id.trim());
    const ids = SCENARIO_IDS.filter((id) => only === undefined || only.includes(id));
    if (ids.length === 0) throw new Error(`--only: no such scenario (${SCENARIO_IDS.join(', ')})`);
    const options: RunOptions = {
      quick: args.quick,
      rows: positiveIntegers(args.rows ?? (args.quick ? '2000' : '20000'), '--rows')[0]!,
      batchSizes: positiveIntegers(args['batch-sizes'], '--batch-sizes'),
      relays: positiveIntegers(args.relays, '--relays')[0]!,
      ...(args.adapters === undefined
        ? {}
        : { adapters: args.adapters.split(',').map((item) => item.trim()) }),
    };
    const rounds = positiveIntegers(args.rounds ?? (args.quick ? '1' : '5'), '--rounds')[0]!;

    const maxLoad = Number(args['max-load']);
    await waitForQuiet('start', async () => {
      const load = loadavg()[0]!;
      return load > maxLoad ? `load average ${load.toFixed(2)} > ${maxLoad}` : undefined;
    });
    // Loaded only now: loading them compiles tidings (../amqp/tidings.ts), which would raise the load.
    const scenarios = await Promise.all(
      ids.map(async (id) => ((await import(`./${id}.js`)) as { scenario: Scenario }).scenario),
    );
    const { tidingsBuild, tidingsBuildDir } = await import('../amqp/tidings.js');
    const measured = `tidings measured: ${sourceState()}; ${tidingsBuild}`;
    const loadAtStart = loadavg()[0]!;

    const admin = await Admin.open();
    const server = (await adminPool.query<{ server_version: string }>('SHOW server_version')).rows[0]!
      .server_version;
    // Asked only when a scenario uses MySQL: the others run without a MySQL server.
    const mysqlServer = ids.some((id) => id === 'flush-adapters' || id === 'relay-mysql')
      ? `, MySQL ${String(((await mysql.pool.query('SELECT VERSION() AS v'))[0] as { v: unknown }[])[0]?.v)}`
      : '';
    const context: ParentContext = { names, pgNames, admin, adminPool, mysql, options, log };
    control.printReport = () => {
      const cpu = cpus();
      const header = [
        `tidings outbox benchmarks: Node ${process.version}, ${process.platform}/${process.arch}, ${cpu.length} cores ` +
          `(${cpu[0]?.model.trim() ?? 'unknown CPU'}), ${admin.server}, PostgreSQL ${server}${mysqlServer}, ` +
          new Date().toISOString().slice(0, 10) +
          (args.quick ? '  [--quick: numbers are not meaningful]' : ''),
        `load average ${loadAtStart.toFixed(2)} when measuring began, ${loadavg()[0]!.toFixed(2)} at the end ` +
          `(this benchmark, PostgreSQL and the broker keep 1-2 cores busy: the load rises during the run)`,
        `${rounds} repetition(s) per case, each in a fresh process; ${measured}`,
      ];
      const verdicts: string[] = [];
      const sections = results.map((result, index) => formatScenario(result, index + 1, verdicts));
      const summary = ['Goals', ...verdicts.map((verdict) => `  - ${verdict}`)];
      process.stdout.write(`\n${[header.join('\n'), ...sections, summary.join('\n')].join('\n\n')}\n`);
      if (args.json !== undefined) {
        const json = JSON.stringify(
          { date: new Date().toISOString(), results },
          (_key, value: unknown): unknown =>
            value instanceof Map ? (Object.fromEntries(value) as unknown) : value,
          2,
        );
        writeFileSync(args.json, `${json}\n`);
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
          results.push(await runScenario(scenario, context, rounds, tidingsBuildDir));
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
  } catch (error) {
    await control.abort(`bench:outbox failed: ${describeError(error)}`, 1);
  }
}

function positiveIntegers(text: string, option: string): number[] {
  const numbers = text.split(',').map((part) => Number(part.trim()));
  if (numbers.length === 0 || numbers.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new Error(`${option}: expected positive integers, got ${text}`);
  }
  return numbers;
}
