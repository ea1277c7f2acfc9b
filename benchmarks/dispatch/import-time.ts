// How long importing the dispatcher takes: `tidings/dispatcher` (the dispatcher alone, the goal's
// subject) and `tidings` (everything broker-neutral, reported), as published (src/ built as dist/esm is:
// esbuild's bundle with shared chunks, ../shared/build.ts), each imported by a fresh `node` process with
// no flags (no tsx: its loader hooks would slow every import down), next to eventemitter3 the same way.
// Each process times its one dynamic `import()` with performance.now() (Node's own start-up, the same
// for both, is left out); the processes alternate between the two, and the median of N counts. One more
// process per contender, not timed, counts the modules the import loads (a module.register() hook).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { compileTidings, ROOT } from '../shared/build.js';
import { median } from './harness.js';

/** Issue 15: importing the dispatcher alone takes less than this. */
export const IMPORT_GOAL_MS = 15;

export interface ImportTimes {
  readonly runs: number;
  /** Modules each import loads: all of them, and those outside node_modules (tidings' own). */
  readonly modules: {
    readonly dispatcher: ModuleCount;
    readonly tidings: ModuleCount;
    readonly eventemitter3: ModuleCount;
  };
  /** ms of each process, per contender. */
  readonly dispatcher: number[];
  readonly tidings: number[];
  readonly eventemitter3: number[];
}

export interface ModuleCount {
  readonly all: number;
  readonly own: number;
}

// A loader hook that reports every module loaded to the main thread.
const HOOKS =
  'data:text/javascript,' +
  encodeURIComponent(
    'let port; export async function initialize(data) { port = data.port; }' +
      'export async function load(url, context, next) { port.postMessage(url); return next(url, context); }',
  );

async function countModules(specifier: string): Promise<ModuleCount> {
  const script =
    `import { register } from 'node:module'; import { MessageChannel } from 'node:worker_threads';` +
    `const { port1, port2 } = new MessageChannel(); const urls = new Set();` +
    `port1.on('message', (url) => urls.add(url));` +
    `register(${JSON.stringify(HOOKS)}, { data: { port: port2 }, transferList: [port2] });` +
    `await import(${JSON.stringify(specifier)}); await new Promise((resolve) => setTimeout(resolve, 100));` +
    `port1.close(); const all = [...urls].filter((url) => url.startsWith('file:'));` +
    `process.stdout.write(JSON.stringify({ all: all.length, own: all.filter((url) => !url.includes('/node_modules/')).length }));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return JSON.parse(stdout) as ModuleCount;
}

async function timeImport(specifier: string): Promise<number> {
  const script =
    `const t0 = performance.now(); await import(${JSON.stringify(specifier)}); ` +
    `process.stdout.write(String(performance.now() - t0));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    cwd: ROOT, // bare specifiers resolve from the project's node_modules
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return Number(stdout);
}

export async function measureImportTimes(runs: number, log: (line: string) => void): Promise<ImportTimes> {
  const build = compileTidings();
  const dispatcher = pathToFileURL(join(build.dir, 'dispatcher.js')).href;
  const tidings = pathToFileURL(join(build.dir, 'index.js')).href;
  const modules = {
    dispatcher: await countModules(dispatcher),
    tidings: await countModules(tidings),
    eventemitter3: await countModules('eventemitter3'),
  };
  const times: ImportTimes = { runs, modules, dispatcher: [], tidings: [], eventemitter3: [] };
  // One discarded round first: the files' first read from disk is not what an application's start sees.
  await timeImport(dispatcher);
  await timeImport(tidings);
  await timeImport('eventemitter3');
  for (let run = 0; run < runs; run++) {
    times.dispatcher.push(await timeImport(dispatcher));
    times.tidings.push(await timeImport(tidings));
    times.eventemitter3.push(await timeImport('eventemitter3'));
  }
  log(
    `import time: tidings/dispatcher ${median(times.dispatcher).toFixed(2)} ms, tidings ${median(times.tidings).toFixed(2)} ms, eventemitter3 ${median(times.eventemitter3).toFixed(2)} ms (median of ${runs})`,
  );
  return times;
}

export function formatImportTimes(times: ImportTimes): { lines: string[]; verdict: string } {
  const dispatcher = median(times.dispatcher);
  const tidings = median(times.tidings);
  const ee3 = median(times.eventemitter3);
  const range = (values: readonly number[]) =>
    `${Math.min(...values).toFixed(2)} – ${Math.max(...values).toFixed(2)}`;
  const verdict = `importing the dispatcher alone (tidings/dispatcher, fresh process) < ${IMPORT_GOAL_MS} ms: ${dispatcher < IMPORT_GOAL_MS ? 'MET' : 'MISSED'} (median ${dispatcher.toFixed(2)} ms, ${(dispatcher / ee3).toFixed(1)}× eventemitter3's ${ee3.toFixed(2)} ms; all of tidings: ${tidings.toFixed(2)} ms)`;
  return {
    lines: [
      `Import time: \`await import('tidings/dispatcher')\` and \`('tidings')\` (src/ built as published) vs \`await import('eventemitter3')\``,
      `   (${times.runs} fresh \`node\` processes each, alternating, after one discarded round; each times its import() alone; median, min – max)`,
      `   tidings/dispatcher  ${dispatcher.toFixed(2)} ms   ${range(times.dispatcher)}   ${times.modules.dispatcher.all} modules loaded (${times.modules.dispatcher.own} of tidings' own)`,
      `   tidings        ${tidings.toFixed(2)} ms   ${range(times.tidings)}   ${times.modules.tidings.all} modules loaded (${times.modules.tidings.own} of tidings' own)`,
      `   eventemitter3  ${ee3.toFixed(2)} ms   ${range(times.eventemitter3)}   ${times.modules.eventemitter3.all} modules loaded`,
      `   goal: ${verdict}`,
    ],
    verdict,
  };
}
