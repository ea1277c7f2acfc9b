// A process that keeps a share of one core busy until stopped: what the relay's extra work (the
// database's claim and mark, the relay reading its rows) takes from the two cores the broker shares,
// without any of that work. Direct sending beside it shows what CPU alone costs (relay.ts).
import { spawn } from 'node:child_process';

export interface BusyLoop {
  stop(): Promise<void>;
}

/** Starts a `node` process that spins for `share` of every 10 ms; resolves once it runs. */
export async function startBusyLoop(share: number): Promise<BusyLoop> {
  if (!(share > 0 && share < 1)) throw new Error(`busy loop: share must be between 0 and 1, got ${share}`);
  const script = `process.stdout.write('ready\\n');
setInterval(() => { const end = performance.now() + ${10 * share}; while (performance.now() < end); }, 10);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`busy loop exited (${code}) before it started`)));
    child.stdout.once('data', () => resolve());
  });
  child.removeAllListeners('exit');
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}
