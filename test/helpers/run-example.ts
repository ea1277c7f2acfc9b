// Runs an example of examples/ as a user would (through tsx, which resolves `tidings` to src/ by the
// tsconfig paths), to its exit: a process that hangs is killed and fails the test.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const tsx = createRequire(import.meta.url).resolve('tsx/cli');
const root = fileURLToPath(new URL('../..', import.meta.url));

/** How long an example may run; the slowest (the demo on RabbitMQ and PostgreSQL) takes a few seconds. */
export const EXAMPLE_TIMEOUT_MS = 60_000;

/** Runs `examples/<name>`; rejects when it exits non-zero or runs past the timeout. */
export async function runExample(
  name: string,
  env: Record<string, string | undefined> = {},
): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [tsx, `examples/${name}`], {
    cwd: root,
    env: { ...process.env, ...env },
    timeout: EXAMPLE_TIMEOUT_MS,
    killSignal: 'SIGKILL',
  });
}

/** The servers an example needs, from its `// requires: redis, postgres` line (none: an empty list). */
export function requiredServers(source: string): string[] {
  const line = /^\/\/ requires: (.+)$/m.exec(source);
  return line?.[1] === undefined ? [] : line[1].split(',').map((server) => server.trim());
}

/**
 * Every example: each file of examples/, and each example application (a folder with a main.ts, such
 * as examples/nestjs/main.ts), with the servers its file (main.ts) requires.
 */
export function listExamples(): { name: string; servers: string[] }[] {
  const examples = new URL('../../examples/', import.meta.url);
  return readdirSync(examples, { withFileTypes: true })
    .flatMap((entry) =>
      entry.isFile() && entry.name.endsWith('.ts')
        ? [entry.name]
        : entry.isDirectory() && existsSync(new URL(`${entry.name}/main.ts`, examples))
          ? [`${entry.name}/main.ts`]
          : [],
    )
    .map((name) => ({ name, servers: requiredServers(readFileSync(new URL(name, examples), 'utf8')) }));
}
