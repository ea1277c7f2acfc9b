// A consumer (or producer) in a process of its own, as the reliability scenarios start them: `node
// --import tsx <fixture>`, configured by environment variables, talking back through stdout lines.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Child {
  readonly process: ChildProcess;
  /** Settles when the process has exited and its output is closed. */
  readonly exited: Promise<ChildExit>;
  /** The exit, once it happened. */
  readonly exit: ChildExit | undefined;
  /** The last 20,000 characters written to stdout and stderr (for assertion messages). */
  readonly output: string;
}

/**
 * Starts `fixture` under tsx. `onLine` receives each complete stdout line. `nodeArgs` go before the
 * fixture (`--expose-gc`, say).
 */
export function startChild(
  fixture: string,
  env: Record<string, string>,
  onLine: (line: string) => void,
  nodeArgs: readonly string[] = [],
): Child {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', fixture], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  let partial = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    output = (output + text).slice(-20_000); // the tail is what an assertion message needs
    partial += text;
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) if (line !== '') onLine(line);
  });
  child.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  child.stdin.on('error', () => {}); // EPIPE when the child is gone already
  let exit: ChildExit | undefined;
  const exited = new Promise<ChildExit>((resolve) =>
    child.once('close', (code, signal) => resolve((exit = { code, signal }))),
  );
  return {
    process: child,
    exited,
    get exit() {
      return exit;
    },
    get output() {
      return output;
    },
  };
}
