import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** The repository root: `tidings` resolves there to the built package through its "exports" map. */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

const execFileAsync = promisify(execFile);

/** Fails with a clear message when the build output these tests run against is missing. */
export function assertBuilt(): void {
  const missing = ['dist/esm/index.js', 'dist/cjs/index.js', 'dist/cjs/package.json'].filter(
    (file) => !existsSync(join(repoRoot, file)),
  );
  if (missing.length > 0) {
    throw new Error(
      `The dist tests run against the built package, but ${missing.join(', ')} is missing: ` +
        `run \`npm run build\` first (\`npm test\` does).`,
    );
  }
}

/** Runs `node ...args` in the repository root; rejects with its stderr if it fails. */
export async function runNode(args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync(process.execPath, [...args], {
      cwd: repoRoot,
      timeout: 30_000,
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    return stdout;
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`node ${args.join(' ').slice(0, 200)} failed:\n${stderr ?? ''}${stdout ?? ''}`, {
      cause: error,
    });
  }
}

/** Parses the last line of a child's output as JSON (earlier lines may be warnings). */
export function lastJsonLine<T>(stdout: string): T {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] ?? '') as T;
}
