// A redis-server of the test's own, on a free port, that a scenario may kill and start again: the shared
// Redis on 6379 serves other people's tests and is never restarted. Nothing is persisted (no RDB, no AOF),
// so a restarted server starts empty, as a Redis without persistence does after a crash.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A port nobody listens on right now (the kernel's pick for port 0). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('private-redis: no port');
  return address.port;
}

export class PrivateRedis {
  #process: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();

  private constructor(readonly port: number) {}

  /** Starts a server on a free port; resolves once it accepts connections. */
  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.restart();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server again on the same port (it must be stopped); resolves once it accepts connections. */
  async restart(timeoutMs = 10_000): Promise<void> {
    if (this.#process !== undefined) throw new Error('private-redis: already running');
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.#process = child;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) done();
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
        done(`exited (${signal ?? code})`);
      const onError = (error: Error) => done(`could not be spawned (${error.message})`);
      const timer = setTimeout(() => done(`did not start within ${timeoutMs} ms`), timeoutMs);
      const done = (failure?: string) => {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        child.stderr.off('data', onData);
        child.off('exit', onExit);
        child.off('error', onError);
        if (failure === undefined) return resolve();
        child.kill('SIGKILL');
        this.#process = undefined;
        reject(new Error(`private-redis on port ${this.port} ${failure}:\n${output}`));
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', onExit);
      child.once('error', onError);
    });
    // Past startup the output is of no interest, but the pipes must keep flowing.
    child.stdout.resume();
    child.stderr.resume();
  }

  /** kill -9: the server dies at once, with everything it held. */
  async kill(): Promise<void> {
    const child = this.#process;
    if (child === undefined) return;
    this.#process = undefined;
    child.kill('SIGKILL');
    await this.#exited;
  }
}
