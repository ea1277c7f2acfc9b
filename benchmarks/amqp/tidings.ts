// The tidings under test, compiled the way it ships. `tsx` compiles src/ with esbuild's `keepNames`,
// which wraps every closure the library creates in a `__name(fn, "name")` call (an
// Object.defineProperty per closure, several per message on the consume path) — a cost the published
// package (plain tsc output) does not have, and that amqplib and Rascal (plain JS) never pay. So the
// benchmarks compile src/ with tsc and tsconfig.build.json into a temporary directory (removed at exit)
// and load that. `--from-src` loads src/ through tsx instead (e.g. to profile with TypeScript names).
// A benchmark that measures in child processes (bench:outbox) compiles once in the parent and hands the
// directory to its children in TIDINGS_BENCH_BUILD (`tidingsBuildDir`): they load it as it is.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as Main from '../../src/index.js';
import type * as Postgres from '../../src/postgres.js';
import type * as Rabbitmq from '../../src/rabbitmq.js';
import type * as Redis from '../../src/redis.js';

/** `tidings`, `tidings/rabbitmq` and `tidings/redis` in one namespace: the benchmarks use all three. */
type Library = typeof Main & typeof Rabbitmq & typeof Redis;

const root = fileURLToPath(new URL('../../', import.meta.url));

/** How the library was loaded, for the report's header. */
export let tidingsBuild: string;
/** The compiled library's directory (removed when this process exits); undefined with `--from-src`. */
export let tidingsBuildDir: string | undefined;

function compile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-bench-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const options = [
    '--outDir',
    dir,
    '--declaration',
    'false',
    '--declarationMap',
    'false',
    '--sourceMap',
    'false',
    '--inlineSources',
    'false',
  ];
  try {
    execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), ...options], {
      stdio: 'pipe',
    });
    tidingsBuild = 'src/ compiled with tsc (tsconfig.build.json), as published';
  } catch (error) {
    // Type errors still emit JavaScript; only a missing output is fatal.
    if (!existsSync(join(dir, 'index.js'))) throw error;
    tidingsBuild = 'src/ compiled with tsc (tsconfig.build.json; it reported type errors)';
  }
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  // Bare imports (amqplib, ioredis…) resolve to the project's own copies: one instance of each.
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

/** Loads the entry points: `tidings` with `tidings/rabbitmq` and `tidings/redis`, and `tidings/postgres`. */
async function load(): Promise<[Library, typeof Postgres]> {
  if (process.argv.includes('--from-src')) {
    tidingsBuild = 'src/ through tsx (esbuild keepNames: slower than the published build)';
    const [main, rabbitmq, redis, postgres] = await Promise.all([
      import('../../src/index.js'),
      import('../../src/rabbitmq.js'),
      import('../../src/redis.js'),
      import('../../src/postgres.js'),
    ]);
    return [{ ...main, ...rabbitmq, ...redis }, postgres];
  }
  const built = process.env['TIDINGS_BENCH_BUILD'];
  if (built !== undefined) tidingsBuild = 'src/ compiled with tsc by the parent process';
  const dir = built ?? compile();
  tidingsBuildDir = dir;
  const entry = (file: string): Promise<unknown> => import(pathToFileURL(join(dir, file)).href);
  const [main, rabbitmq, redis] = await Promise.all([
    entry('index.js'),
    entry('rabbitmq.js'),
    entry('redis.js'),
  ]);
  const library = { ...(main as typeof Main), ...(rabbitmq as typeof Rabbitmq), ...(redis as typeof Redis) };
  return [library, (await entry('postgres.js')) as typeof Postgres];
}

export const [tidings, tidingsPostgres] = await load();
