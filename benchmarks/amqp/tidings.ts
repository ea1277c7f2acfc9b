// The tidings under test, compiled the way it ships. `tsx` compiles src/ with esbuild's `keepNames`,
// which wraps every closure the library creates in a `__name(fn, "name")` call (an
// Object.defineProperty per closure, several per message on the consume path) — a cost the published
// package (dist/esm, built without `keepNames`) does not have, and that amqplib and Rascal (plain JS)
// never pay. So the benchmarks build src/ as dist/esm is built into a temporary directory (removed at
// exit, ../shared/build.ts) and load that. `--from-src` loads src/ through tsx instead (e.g. to profile with
// TypeScript names).
// A benchmark that measures in child processes (bench:outbox) compiles once in the parent and hands the
// directory to its children in TIDINGS_BENCH_BUILD (`tidingsBuildDir`): they load it as it is.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compileTidings } from '../shared/build.js';
import type * as Main from '../../src/index.js';
import type * as Postgres from '../../src/postgres.js';
import type * as Rabbitmq from '../../src/rabbitmq.js';
import type * as Redis from '../../src/redis.js';

/** `tidings`, `tidings/rabbitmq` and `tidings/redis` in one namespace: the benchmarks use all three. */
type Library = typeof Main & typeof Rabbitmq & typeof Redis;

/** How the library was loaded, for the report's header. */
export let tidingsBuild: string;
/** The compiled library's directory (removed when this process exits); undefined with `--from-src`. */
export let tidingsBuildDir: string | undefined;

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
  if (built !== undefined) tidingsBuild = 'src/ built as published, by the parent process';
  let dir = built;
  if (dir === undefined) {
    const build = compileTidings();
    tidingsBuild = build.description;
    dir = build.dir;
  }
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
