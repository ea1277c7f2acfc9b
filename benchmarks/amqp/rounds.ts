// The parent's side of a scenario: runs every repetition of every case in a fresh child process
// (child.ts) and collects what it measured.
//
// Why a process per repetition: in one shared process each client would run with the JIT feedback and
// the garbage of every client before it (tidings' consumer after Rascal's, etc.), so results would
// depend on the order of cases. A child starts with nothing but the one library it measures; its CPU
// time per message (process.cpuUsage() in the child) is that library's alone.
//
// Rounds are interleaved: every case once, then every case again, each round starting with the next
// case, so that a busy spell of the machine spreads over all cases and no case always runs first.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  describeError,
  type Case,
  type Latency,
  type Row,
  type RunContext,
  type Scenario,
  type ScenarioResult,
  type Throughput,
} from './harness.js';
import { MachineMonitor } from './machine.js';

export interface RoundOptions {
  /** Only cases whose label contains this text. */
  readonly filter: string | undefined;
  /** Extra arguments for each child (e.g. `--from-src`). */
  readonly childArgs: readonly string[];
  /** A child that has not reported after this long is killed (the repetition fails). */
  readonly childTimeoutMs: number;
}

/** What a child hands back as the last line of its stdout. */
export type ChildReport = { ok: true; value: Throughput | Latency } | { ok: false; error: string };

const running = new Set<ChildProcess>();
// The watchdog and Ctrl-C end this process with process.exit(): no child may outlive it.
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function runScenario(
  scenario: Scenario,
  context: RunContext,
  options: RoundOptions,
): Promise<ScenarioResult> {
  const cases = scenario.cases.filter(
    (testCase) => options.filter === undefined || testCase.label.includes(options.filter),
  );
  const plan = await scenario.prepare(context);
  const rows = new Map(cases.map((testCase) => [testCase, newRow(testCase, plan.report.unit === 'ms')]));
  const monitor = new MachineMonitor();
  monitor.begin();
  const total = plan.rounds + (plan.discardFirst ? 1 : 0);
  for (let round = 0; round < total; round++) {
    const warm = plan.discardFirst && round === 0;
    const measured = round - (plan.discardFirst ? 1 : 0);
    const name = warm ? 'warm-up' : `round ${measured + 1}/${plan.rounds}`;
    await plan.beforeRound?.(warm);
    const order = cases.map((_, index) => cases[(index + round) % cases.length]!);
    for (const testCase of order) {
      const row = rows.get(testCase)!;
      let value: Throughput | Latency | undefined;
      let failure: unknown;
      try {
        await plan.beforeCase?.(testCase.label, warm);
        value = await runChild(scenario.id, testCase, plan.setup, warm, options);
      } catch (error) {
        failure = error;
      }
      // Also after a failure (e.g. to purge the queue); a failed check fails the repetition.
      try {
        await plan.afterCase?.(testCase.label, warm);
      } catch (error) {
        failure ??= error;
      }
      if (value === undefined || failure !== undefined) {
        if (!warm) row.errors.push(describeError(failure));
        context.log(`  ${name}  ${testCase.label}: FAILED ${describeError(failure)}`);
        continue;
      }
      if (!warm) record(row, measured, value);
      context.log(`  ${name}  ${testCase.label}: ${shown(value)}`);
    }
  }
  return { id: scenario.id, ...plan.report, rows: [...rows.values()], machine: monitor.end() };
}

function newRow(testCase: Case<unknown>, latency: boolean): Row {
  const base = {
    label: testCase.label,
    library: testCase.library,
    group: testCase.group ?? '',
    ...(testCase.reference === true ? { reference: true } : {}),
  };
  return latency
    ? { ...base, values: [], rounds: [], p99: [], errors: [] }
    : { ...base, values: [], rounds: [], cpu: [], broker: [], errors: [] };
}

function record(row: Row, round: number, value: Throughput | Latency): void {
  row.rounds.push(round);
  if ('rate' in value) {
    row.values.push(value.rate);
    row.cpu!.push(value.cpuUs);
    // JSON turns a non-finite figure into null: not read, as when absent.
    row.broker!.push(typeof value.brokerCpuUs === 'number' ? value.brokerCpuUs : Number.NaN);
  } else {
    row.values.push(value.p50);
    row.p99!.push(value.p99);
  }
}

function shown(value: Throughput | Latency): string {
  return 'rate' in value
    ? `${Math.round(value.rate).toLocaleString('en-US')} msgs/s, ${value.cpuUs.toFixed(1)} µs CPU/msg` +
        (typeof value.brokerCpuUs === 'number' ? `, broker ${value.brokerCpuUs.toFixed(1)} µs/msg` : '')
    : `p50 ${value.p50.toFixed(2)} ms, p99 ${value.p99.toFixed(2)} ms`;
}

/** Runs one repetition of `testCase` in a fresh process (this process's node flags, e.g. `--import tsx`). */
function runChild(
  scenarioId: string,
  testCase: Case<unknown>,
  setup: unknown,
  warm: boolean,
  options: RoundOptions,
): Promise<Throughput | Latency> {
  const request = JSON.stringify({ scenario: scenarioId, label: testCase.label, warm, setup });
  const entry = fileURLToPath(new URL('./child.ts', import.meta.url));
  const child = spawn(process.execPath, [...process.execArgv, entry, request, ...options.childArgs], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  running.add(child);
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.childTimeoutMs);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      const last = stdout.trimEnd().split('\n').at(-1) ?? '';
      let report: ChildReport | undefined;
      try {
        report = JSON.parse(last) as ChildReport;
      } catch {
        report = undefined;
      }
      if (report?.ok === true) resolve(report.value);
      else if (report?.ok === false) reject(new Error(report.error));
      else reject(new Error(`the case's process ended (${signal ?? `code ${code}`}) without a result`));
    });
  });
}
