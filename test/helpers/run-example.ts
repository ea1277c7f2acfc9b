// Runs an example of examples/ as a user would (through tsx, which resolves `tidings` to src/ by the
// tsconfig paths), to its exit: a process that hangs is killed and fails the test.
import { execFile } from 'node:child_process';
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
