import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { Redis, type Cluster } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { repeatCounterKey } from '../../src/messaging/names.js';
import type { RedisClientLike } from '../../src/adapters/redis/redis-client.js';
import { RedisRepeatCounter } from '../../src/adapters/redis/redis-repeat-counter.js';
import { RepeatCounterUnavailableError } from '../../src/errors/repeat-counter-unavailable-error.js';
import { proxyTo } from './faults/fault-helpers.js';
import { REDIS_URL } from './servers.js';

/** One prefix per run, so parallel runs and leftovers never meet; every key is deleted afterwards. */
const PREFIX = `tidings-test:${process.pid}-${Date.now().toString(36)}:`;
/** What a failure may take beyond timeoutMs: timer granularity and a busy CI machine. */
const SLACK_MS = 250;
const SECRET = 'S3cr3t-P@ss:w0rd';

// Type-level: both ioredis clients are accepted as `redis`.
const _acceptsClients = (redis: Redis, cluster: Cluster): RedisClientLike[] => [redis, cluster];

let admin: Redis;
const cleanups: (() => Promise<unknown> | void)[] = [];

beforeAll(async () => {
  admin = new Redis(REDIS_URL, { lazyConnect: true });
  await admin.connect();
});

afterAll(async () => {
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 1000);
    if (keys.length > 0) await admin.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  await admin.quit();
});

let consoleError: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  consoleError = vi.spyOn(console, 'error');
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  // ioredis prints "[ioredis] Unhandled error event" when a client has no 'error' listener.
  expect(consoleError).not.toHaveBeenCalled();
  consoleError.mockRestore();
});

/** A counter closed after the test. */
function counter(options: ConstructorParameters<typeof RedisRepeatCounter>[0]): RedisRepeatCounter {
  const created = new RedisRepeatCounter({ keyPrefix: PREFIX, ...options });
  cleanups.push(() => created.close());
  return created;
}

async function failure(promise: Promise<unknown>): Promise<{ error: unknown; elapsedMs: number }> {
  const started = performance.now();
  try {
    await promise;
  } catch (error) {
    return { error, elapsedMs: performance.now() - started };
  }
  throw new Error('expected a rejection');
}

/** A TCP port on which nothing listens. */
async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A server that accepts connections and never answers: a hung Redis. */
async function silentServer(onData?: (socket: net.Socket, data: Buffer) => void): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', (data) => onData?.(socket, data));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as net.AddressInfo).port;
}

/** A server that answers every command with WRONGPASS, as Redis does for a bad password. */
function wrongPassServer(): Promise<number> {
  return silentServer((socket, data) => {
    // Each command is a RESP array ("*<n>\r\n..."); answer each with an error.
    const commands = data.toString('latin1').match(/(^|\r\n)\*\d+\r\n\$/g)?.length ?? 1;
    for (let i = 0; i < commands; i++) {
      socket.write('-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    }
  });
}

/** A TCP proxy to the real Redis that can hold its answers (slow Redis) or go away and come back. */
class RedisProxy {
  port = 0;
  #server: net.Server | undefined;
  readonly #sockets = new Set<net.Socket>();
  #paused = false;
  #held: (() => void)[] = [];

  get url(): string {
    const url = new URL(REDIS_URL);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }

  async start(): Promise<void> {
    const target = new URL(REDIS_URL);
    const server = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 6379), target.hostname);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('error', () => {});
        socket.on('close', () => {
          this.#sockets.delete(socket);
          client.destroy();
          upstream.destroy();
        });
      }
      client.on('data', (data) => upstream.write(data));
      upstream.on('data', (data) => {
        if (this.#paused) this.#held.push(() => client.write(data));
        else client.write(data);
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as net.AddressInfo).port;
    this.#server = server;
  }

  /** Holds Redis' answers until resume(): commands arrive and run, replies come late. */
  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    for (const release of this.#held.splice(0)) release();
  }

  /** Redis goes away: connections are cut and new ones refused until start() again. */
  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}

async function proxy(): Promise<RedisProxy> {
  const created = new RedisProxy();
  await created.start();
  cleanups.push(() => created.stop());
  return created;
}

function expectUnavailable(error: unknown, reason: string): asserts error is RepeatCounterUnavailableError {
  expect(error).toBeInstanceOf(RepeatCounterUnavailableError);
  expect(error).toMatchObject({ code: 'ERR_TIDINGS_REPEAT_COUNTER_UNAVAILABLE', reason });
}

describe('RedisRepeatCounter against Redis', () => {
  it('counts atomically: 200 parallel increments return 1..200, each exactly once', async () => {
    const repeats = counter({ url: REDIS_URL });
    const counts = await Promise.all(
      Array.from({ length: 200 }, () => repeats.increment('billing.orders', 'm-parallel')),
    );
    expect(counts.sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(await admin.get(repeatCounterKey(PREFIX, 'billing.orders', 'm-parallel'))).toBe('200');
  });

  it('counts per queue and message id', async () => {
    const repeats = counter({ url: REDIS_URL });
    expect(await repeats.increment('billing.orders', 'm-1')).toBe(1);
    expect(await repeats.increment('billing.orders', 'm-1')).toBe(2);
    expect(await repeats.increment('shipping.orders', 'm-1')).toBe(1);
    expect(await repeats.increment('billing.orders', 'm-2')).toBe(1);
  });

  it('sets the TTL on the key and sets it again on every increment', async () => {
    const repeats = counter({ url: REDIS_URL, ttlMs: 60_000 });
    const key = repeatCounterKey(PREFIX, 'q', 'm-ttl');
    await repeats.increment('q', 'm-ttl');
    const first = await admin.pttl(key);
    expect(first).toBeGreaterThan(55_000);
    expect(first).toBeLessThanOrEqual(60_000);
    await admin.pexpire(key, 5_000);
    expect(await repeats.increment('q', 'm-ttl')).toBe(2);
    expect(await admin.pttl(key)).toBeGreaterThan(55_000);
  });

  it('uses the default prefix and a 24 hour TTL when not told otherwise', async () => {
    const client = new Redis(REDIS_URL);
    cleanups.push(() => client.quit());
    const repeats = new RedisRepeatCounter({ redis: client });
    cleanups.push(() => repeats.close());
    const queue = `${PREFIX}default`; // the queue carries the test prefix, so cleanup finds nothing here
    const key = repeatCounterKey('tidings:attempts:', queue, 'm');
    cleanups.push(() => client.del(key));
    await repeats.increment(queue, 'm');
    expect(await admin.pttl(key)).toBeGreaterThan(24 * 60 * 60 * 1000 - 60_000);
  });

  it('forget() deletes the key', async () => {
    const repeats = counter({ url: REDIS_URL });
    const key = repeatCounterKey(PREFIX, 'q', 'm-forget');
    await repeats.increment('q', 'm-forget');
    await repeats.increment('q', 'm-forget');
    await repeats.forget('q', 'm-forget');
    expect(await admin.exists(key)).toBe(0);
    expect(await repeats.increment('q', 'm-forget')).toBe(1);
    await expect(repeats.forget('q', 'never-counted')).resolves.toBeUndefined();
  });

  it('does not close a client you bring, and connects a lazy one', async () => {
    const client = new Redis(REDIS_URL, { lazyConnect: true });
    cleanups.push(() => client.quit());
    const repeats = new RedisRepeatCounter({ redis: client, keyPrefix: PREFIX });
    expect(await repeats.increment('q', 'm-byo')).toBe(1);
    await repeats.close();
    expect(client.status).toBe('ready');
    expect(await client.ping()).toBe('PONG');
    const { error } = await failure(repeats.increment('q', 'm-byo'));
    expectUnavailable(error, 'closed');
  });

  it('closes the client it owns', async () => {
    // Through a proxy of this test's own: other tests' counters use the same client name on the shared
    // Redis, so the server's client list cannot tell which connection is this counter's.
    const { proxy, url } = await proxyTo(REDIS_URL, 6379); // keeps REDIS_URL's password and database
    cleanups.push(() => proxy.close());
    const repeats = counter({ url });
    await repeats.increment('q', 'm-owned');
    expect(proxy.connections).toBe(1);
    await repeats.close();
    await vi.waitFor(() => expect(proxy.connections).toBe(0));
  });

  it('reports a Redis error (a key of another type) as unavailable, reason failed', async () => {
    const repeats = counter({ url: REDIS_URL });
    await admin.hset(repeatCounterKey(PREFIX, 'q', 'm-hash'), 'field', 'value');
    const { error } = await failure(repeats.increment('q', 'm-hash'));
    expectUnavailable(error, 'failed');
    expect((error.cause as Error).message).toMatch(/WRONGTYPE/);
  });
});

describe('RedisRepeatCounter when Redis is unreachable, slow or flaky', () => {
  it('rejects at once when nothing listens on the port, without unhandled errors', async () => {
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    cleanups.push(() => void process.off('unhandledRejection', unhandled));
    const repeats = counter({ url: `redis://127.0.0.1:${await deadPort()}`, timeoutMs: 500 });

    const first = await failure(repeats.increment('q', 'm'));
    expectUnavailable(first.error, 'disconnected');
    expect(first.error.operation).toBe('increment');
    expect(first.error.message).toMatch(/ECONNREFUSED/);
    expect(first.elapsedMs).toBeLessThan(500 + SLACK_MS);

    // While the client waits to reconnect, calls fail without waiting at all.
    const second = await failure(repeats.forget('q', 'm'));
    expectUnavailable(second.error, 'disconnected');
    expect(second.error.operation).toBe('forget');
    expect(second.elapsedMs).toBeLessThan(50);

    await new Promise((resolve) => setTimeout(resolve, 300)); // a few reconnect attempts
    expect(unhandled).not.toHaveBeenCalled();
  });

  it('never shows the password of the URL, not even in the cause or its properties', async () => {
    const encoded = encodeURIComponent(SECRET);
    for (const url of [
      `redis://:${encoded}@127.0.0.1:${await deadPort()}/0`,
      `redis://someone:${encoded}@127.0.0.1:${await wrongPassServer()}`,
      `redis://${encoded}@127.0.0.1:${await wrongPassServer()}`,
    ]) {
      const repeats = counter({ url, timeoutMs: 500 });
      const { error } = await failure(repeats.increment('q', 'm'));
      expectUnavailable(error, 'disconnected');
      expect(error.message).toContain('redis://***@127.0.0.1:');
      const everything = [error.message, error.stack, String(error), inspect(error, { depth: 10 })].join();
      expect(everything).not.toContain(SECRET);
      expect(everything).not.toContain(encoded);
    }
  });

  it('never shows the password of a client you bring', async () => {
    const client = new Redis({ port: await wrongPassServer(), host: '127.0.0.1', password: SECRET });
    client.on('error', () => {}); // the user's own client: its errors are the user's to handle
    cleanups.push(() => client.disconnect());
    const repeats = counter({ redis: client, timeoutMs: 500 });
    const { error } = await failure(repeats.increment('q', 'm'));
    expectUnavailable(error, 'disconnected');
    expect(error.message).toContain('Redis client 127.0.0.1:');
    expect(inspect(error, { depth: 10 })).not.toContain(SECRET);
  });

  it('rejects an invalid URL without echoing it', () => {
    expect(() => new RedisRepeatCounter({ url: `redis://:${SECRET}@[bad` })).toThrow(
      /not a valid URL \(its value is not shown/,
    );
    try {
      new RedisRepeatCounter({ url: `redis://:${SECRET}@[bad` });
    } catch (error) {
      expect(inspect(error)).not.toContain(SECRET);
    }
    expect(() => new RedisRepeatCounter({ url: 'http://cache:6379' })).toThrow(/redis:\/\/ or rediss:\/\//);
  });

  it('rejects within timeoutMs when the server accepts but never answers', async () => {
    const repeats = counter({ url: `redis://127.0.0.1:${await silentServer()}`, timeoutMs: 300 });
    const results = await Promise.all([
      failure(repeats.increment('q', 'm')),
      failure(repeats.increment('q', 'm2')),
    ]);
    for (const { error, elapsedMs } of results) {
      expectUnavailable(error, 'timeout');
      expect(error.message).toContain('within 300 ms');
      expect(elapsedMs).toBeGreaterThanOrEqual(290);
      expect(elapsedMs).toBeLessThan(300 + SLACK_MS);
    }
  });

  it('rejects within timeoutMs when a connected Redis stops answering, then works again', async () => {
    const redis = await proxy();
    const repeats = counter({ url: redis.url, timeoutMs: 200 });
    expect(await repeats.increment('q', 'm-slow')).toBe(1);

    redis.pause();
    const { error, elapsedMs } = await failure(repeats.increment('q', 'm-slow'));
    expectUnavailable(error, 'timeout');
    expect(error.message).toContain('no answer within 200 ms');
    expect(elapsedMs).toBeLessThan(200 + SLACK_MS);

    redis.resume();
    // The late command did run: a timeout means "outcome unknown", and Redis counted it.
    expect(await repeats.increment('q', 'm-slow')).toBe(3);
  });

  it('works again without help once Redis comes back', async () => {
    const redis = await proxy();
    const repeats = counter({ url: redis.url, timeoutMs: 300 });
    expect(await repeats.increment('q', 'm-back')).toBe(1);

    await redis.stop();
    const down = await failure(repeats.increment('q', 'm-back'));
    expectUnavailable(down.error, 'disconnected');
    expect(down.elapsedMs).toBeLessThan(300 + SLACK_MS);

    await redis.start(); // same port
    const started = performance.now();
    const count = await vi.waitFor(() => repeats.increment('q', 'm-back'), { timeout: 5000, interval: 50 });
    expect(count).toBe(2);
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it('close() settles calls in flight at once', async () => {
    const repeats = counter({ url: `redis://127.0.0.1:${await silentServer()}`, timeoutMs: 10_000 });
    const pending = failure(repeats.increment('q', 'm'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await repeats.close();
    const { error, elapsedMs } = await pending;
    expectUnavailable(error, 'closed');
    expect(elapsedMs).toBeLessThan(1000);
  });

  it('leaves nothing that keeps the process alive after close()', async () => {
    const hung = await silentServer();
    const dead = await deadPort();
    const module = fileURLToPath(
      new URL('../../src/adapters/redis/redis-repeat-counter.ts', import.meta.url),
    );
    const script = `
      import { RedisRepeatCounter } from ${JSON.stringify(module)};
      const reasons = [];
      for (const url of ${JSON.stringify([REDIS_URL, `redis://127.0.0.1:${dead}`, `redis://127.0.0.1:${hung}`])}) {
        const counter = new RedisRepeatCounter({ url, keyPrefix: ${JSON.stringify(PREFIX + 'child:')}, timeoutMs: 300 });
        reasons.push(await counter.increment('q', 'm').then(String, (error) => error.reason));
        await counter.close();
      }
      console.log(JSON.stringify(reasons));
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let printedAt = 0;
    child.stdout.on('data', (data: Buffer) => {
      stdout += data.toString();
      printedAt ||= performance.now();
    });
    child.stderr.on('data', (data: Buffer) => void (stderr += data.toString()));
    const exitCode = await new Promise<number | null>((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.on('exit', (code) => {
        clearTimeout(kill);
        resolve(code);
      });
    });
    const exitedAfterMs = performance.now() - printedAt;
    expect(stderr).toBe('');
    expect(exitCode).toBe(0);
    expect(JSON.parse(stdout)).toEqual(['1', 'disconnected', 'timeout']);
    expect(exitedAfterMs).toBeLessThan(2000);
  }, 20_000);
});
