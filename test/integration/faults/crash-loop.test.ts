// A handler that kills its process on every delivery (an OOM kill, a native crash): the message must not
// crash-loop forever. The test publishes one message and restarts the consumer process each time it dies,
// as a supervisor would, until the message is dead-lettered as repeats-exhausted.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import { DeadLetters, Publisher, waitQueueName } from '../../../src/index.js';
import { AmqpTransport } from '../../../src/rabbitmq.js';
import { AMQP_URL, REDIS_URL } from '../servers.js';
import { Cleanups, proxyTo, uniqueNames, waitFor } from './fault-helpers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../fixtures/crash-loop-subscriber.ts', import.meta.url));
const MAX_ATTEMPTS = 3;
const MAX_SPAWNS = 6;

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

interface Run {
  messageId: string;
  attempt: number;
  redelivered: boolean;
  pid: number;
}

/** One consumer process; `ready` once it consumes, `exited` with the signal that ended it. */
function startChild(env: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  let ready = false;
  let deadLettered = false;
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    ready ||= output.includes('ready\n');
    deadLettered ||= output.includes('"outcome":"dead-lettered"');
  });
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stdin!.on('error', () => {}); // EPIPE when the child is gone already
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void exited.then((value) => (exit = value));
  return {
    child,
    exited,
    get exit() {
      return exit;
    },
    get ready() {
      return ready;
    },
    get deadLettered() {
      return deadLettered;
    },
    get output() {
      return output;
    },
  };
}

async function crashLoop(counter: 'redis' | 'memory', killDelayMs = 0, redisUrl = REDIS_URL) {
  const { appId, queue, exchange, routingKey } = uniqueNames(`crash-${counter}`);
  const runsFile = join(tmpdir(), `${appId}.runs.jsonl`);
  const keyPrefix = `tidings-test:faults:${randomUUID().slice(0, 8)}:`;
  cleanups.add(() => rmSync(runsFile, { force: true }));

  const transport = new AmqpTransport({ url: AMQP_URL, connectionName: `${appId}-test` });
  cleanups.add(() => transport.close());
  cleanups.add(async () => {
    for (const name of [queue, waitQueueName(queue, 30), `${appId}.dead-letters`])
      await transport.deleteQueue(name).catch(() => {});
    for (const name of [exchange, `${appId}.dead-letter`])
      await transport.deleteExchange(name).catch(() => {});
  });
  cleanups.add(async () => {
    const admin = new Redis(REDIS_URL);
    const keys = await admin.keys(`${keyPrefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });

  const env = {
    CRASH_QUEUE: queue,
    CRASH_ROUTING_KEY: routingKey,
    CRASH_APP_ID: appId,
    CRASH_RUNS_FILE: runsFile,
    CRASH_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
    CRASH_COUNTER: counter,
    CRASH_KILL_DELAY_MS: String(killDelayMs),
    CRASH_AMQP_URL: AMQP_URL,
    CRASH_REDIS_URL: redisUrl,
    CRASH_KEY_PREFIX: keyPrefix,
  };
  let messageId: string | undefined;
  let processes = 0;
  let last: ReturnType<typeof startChild> | undefined;
  // As a supervisor would: start the consumer again each time it dies, until the message is dead-lettered.
  while (processes < MAX_SPAWNS) {
    const current = startChild(env);
    last = current;
    processes++;
    cleanups.add(() => {
      if (current.exit === undefined) current.child.kill('SIGKILL');
    });
    await waitFor(() => current.ready || current.exit !== undefined, 20_000, `child ${processes} to start`);
    if (messageId === undefined) {
      expect(current.ready, current.output).toBe(true);
      ({ messageId } = await new Publisher(transport, { appId }).send({ crash: true }, routingKey));
    }
    await waitFor(
      () => current.deadLettered || current.exit !== undefined,
      20_000,
      `child ${processes} to die`,
    );
    if (current.deadLettered) break;
    expect(current.exit?.signal, current.output).toBe('SIGKILL');
  }
  const deadLettered = last!.deadLettered;
  // The last consumer stops gracefully (its acks are flushed): nothing may be left in the queue.
  last!.child.stdin!.end();
  const lastExit = await last!.exited;
  const runs = readFileSync(runsFile, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Run);
  const deadLetters = await new DeadLetters(transport, { appId }).list();
  const stats = await transport.queueStats(queue);
  const summary =
    `processes ${processes}; handler runs ${runs.length} (attempt,redelivered: ` +
    `${runs.map((r) => `${r.attempt}${r.redelivered ? 'r' : ''}`).join(' ')}); ` +
    `dead letters ${deadLetters.length} (attempts ${deadLetters.map((d) => d.attempts).join(',')}); ` +
    `copies left in the queue ${stats?.messageCount}; last process ${lastExit.signal ?? `exit ${lastExit.code}`}`;
  return { messageId: messageId!, queue, runs, deadLettered, deadLetters, stats, lastExit, summary };
}

it('with the Redis counter: the handler runs exactly maxAttempts times, then the message is dead-lettered', async () => {
  const { messageId, queue, runs, deadLetters, stats, lastExit, summary } = await crashLoop('redis');
  console.info(`[crash-loop redis] ${summary}`);
  expect(lastExit.code).toBe(0);
  expect(runs.map((run) => run.messageId)).toEqual(Array(MAX_ATTEMPTS).fill(messageId));
  expect(runs.map((run) => run.attempt)).toEqual([1, 2, 3]);
  expect(deadLetters).toHaveLength(1);
  expect(deadLetters[0]).toMatchObject({ messageId, reason: 'repeats-exhausted', queue });
  expect(stats).toMatchObject({ messageCount: 0, consumerCount: 0 });
  // The dead letter says how often the message was attempted: 3 handler runs (today it says 4).
  expect(deadLetters[0]!.attempts).toBe(MAX_ATTEMPTS);
});

for (const killDelayMs of [0, 100]) {
  const when = killDelayMs === 0 ? 'at once' : `${killDelayMs} ms into the handler`;
  it(`with the in-process counter (lost with the process), a crash ${when}: dead-lettered after at most maxAttempts runs`, async () => {
    const { messageId, queue, runs, deadLettered, deadLetters, stats, lastExit, summary } = await crashLoop(
      'memory',
      killDelayMs,
    );
    console.info(`[crash-loop memory, crash ${when}] ${summary}`);
    expect(runs.every((run) => run.messageId === messageId)).toBe(true);
    expect(deadLettered, `no dead letter: ${summary}`).toBe(true);
    expect(lastExit.code).toBe(0);
    expect(runs.length).toBeGreaterThanOrEqual(1);
    expect(runs.length).toBeLessThanOrEqual(MAX_ATTEMPTS);
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]).toMatchObject({ messageId, reason: 'repeats-exhausted', queue });
    expect(stats).toMatchObject({ messageCount: 0, consumerCount: 0 });
    expect(deadLetters[0]!.attempts).toBe(runs.length);
  });
}

it('with the Redis counter while Redis is down: dead-lettered once, after at most maxAttempts runs', async () => {
  const { proxy, url } = await proxyTo(REDIS_URL, 6379);
  cleanups.add(() => proxy.close());
  proxy.pause(); // Redis refuses every connection: attempts are counted in the header alone
  const { messageId, queue, runs, deadLettered, deadLetters, stats, lastExit, summary } = await crashLoop(
    'redis',
    0,
    url,
  );
  console.info(`[crash-loop redis down] ${summary}`);
  expect(runs.every((run) => run.messageId === messageId)).toBe(true);
  expect(deadLettered, `no dead letter: ${summary}`).toBe(true);
  expect(runs.length).toBeLessThanOrEqual(MAX_ATTEMPTS);
  // One message in, one dead letter out: the crash loop did not multiply it.
  expect(deadLetters.map((d) => d.reason)).toEqual(['repeats-exhausted']);
  expect(deadLetters[0]).toMatchObject({ messageId, queue });
  expect(stats).toMatchObject({ messageCount: 0, consumerCount: 0 });
  expect(lastExit.code).toBe(0);
});
