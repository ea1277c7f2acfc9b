// `--instructions`: machine instructions per operation, counted by valgrind's callgrind rather than
// timed. On a shared virtual machine the timed figures move by 10-30 % from one run to the next (other
// guests take the CPU: "steal"), so a change of a few percent cannot be seen in them; the instruction
// count of the same code does not move. It is not time: it does not see cache misses or what memory
// traffic costs, so the timed table stays the reference and this one is the check of a change.
//
// Method: each case runs a fixed number of operations in a child under callgrind, twice (n and 3n
// operations), with V8 on one thread (`--single-threaded`: no concurrent compilation or GC threads, whose
// work would land at different moments from run to run), and instructions per operation are the
// difference of the two totals divided by 2n: start-up, module loading and compilation cancel out. Two
// runs of the same build agree to ~0.1 %.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/** Operations of the shorter run; the longer one runs three times as many. */
export const INSTRUCTION_OPS = 300_000;

export interface InstructionCount {
  readonly key: string;
  readonly label: string;
  readonly instructionsPerOp: number;
}

/**
 * Instructions per operation of one case: `childArgv(ops)` is the node argv (flags and script) of a
 * child that runs the case for `ops` operations and exits.
 */
export async function countInstructions(
  childArgv: (ops: number) => string[],
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const short = await callgrindTotal(childArgv(INSTRUCTION_OPS), env);
  const long = await callgrindTotal(childArgv(3 * INSTRUCTION_OPS), env);
  return (long - short) / (2 * INSTRUCTION_OPS);
}

async function callgrindTotal(nodeArgv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const argv = [
    '--tool=callgrind',
    '--smc-check=all-non-file', // the JIT writes code at run time
    '--callgrind-out-file=/dev/null',
    process.execPath,
    '--single-threaded',
    ...nodeArgv,
  ];
  let stderr: string;
  try {
    ({ stderr } = await promisify(execFile)('valgrind', argv, { maxBuffer: 1 << 24, env }));
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ENOENT')
      throw new Error('--instructions needs valgrind (Debian: apt-get install valgrind)');
    throw error;
  }
  const match = /Collected\s*:\s*(\d+)/.exec(stderr);
  if (match === null) throw new Error(`callgrind printed no total:\n${stderr.slice(-2000)}`);
  return Number(match[1]);
}

/** The table: per case, instructions per operation and the ratio of its scenario's baseline to it. */
export function formatInstructions(
  counts: readonly InstructionCount[],
  baselineOf: (key: string) => string | undefined,
): string {
  const byKey = new Map(counts.map((count) => [count.key, count]));
  const rows = counts.map((count) => {
    const baseline = byKey.get(baselineOf(count.key) ?? '');
    const ratio =
      baseline === undefined ? '-' : `${(baseline.instructionsPerOp / count.instructionsPerOp).toFixed(2)}×`;
    return [count.key, Math.round(count.instructionsPerOp).toLocaleString('en-US'), ratio];
  });
  const header = ['case', 'instructions/op', '× baseline (fewer is faster)'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[column]!)))
      .join('  ');
  return [
    `instructions per operation (valgrind callgrind, node --single-threaded, ${INSTRUCTION_OPS.toLocaleString('en-US')} and ` +
      `${(3 * INSTRUCTION_OPS).toLocaleString('en-US')} operations per case: the difference ÷ their difference)`,
    line(header),
    ...rows.map(line),
  ].join('\n');
}
