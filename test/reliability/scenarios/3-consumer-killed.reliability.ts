// Scenario 3: the consumer process is SIGKILLed mid-batch several times (an OOM kill, a node drained
// without grace) and restarted as a supervisor would, while it works through 5,000 messages with the real
// Consumer and the Redis repeat counter; every 10th message fails on purpose on its first two attempts.
// Every message must be handled successfully, nothing may be dead-lettered or left in a queue, and the
// attempt numbers the handler sees must stay right across the kills: they only grow, the failing messages
// succeed at attempt 3 or later, and the attempts counted without a handler run (a delivery cut off before
// its handler started) stay within what the kills can explain.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import { DeadLetters, Publisher, waitQueueName } from '../../../src/index.js';
import { Cleanups, sleep, uniqueNames, waitFor } from '../../integration/faults/fault-helpers.js';
import { AMQP_URL, REDIS_URL } from '../../integration/servers.js';
import { figuresFrom, reportFigures } from '../figures.js';
import type { KilledConsumerPayload, RunRecord } from '../fixtures/killed-consumer.js';
import { adminTransport, medianAndMax, publishAll } from '../harness.js';
import { History, summarize } from '../history.js';
import { sized } from '../size.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../fixtures/killed-consumer.ts', import.meta.url));
const TOTAL = sized(5_000, 1_000);
const KILLS = sized(6, 3);
const PREFETCH = 20;
/** Far above the 3 attempts a failing message needs: the kills add attempts, none may dead-letter. */
const MAX_ATTEMPTS = 10;
const REPEAT_DELAYS_MS = [50, 100];
/** Every FAIL_EVERY-th message fails on its attempts 1 and 2. */
const FAIL_EVERY = 10;

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

type Exit = { code: number | null; signal: NodeJS.Signals | null };

/** One consumer process; `ready` once it consumes. */
function startChild(env: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const state = { output: '', ready: false, readyAt: 0, exit: undefined as Exit | undefined };
  child.stdout!.on('data', (chunk: Buffer) => {
    state.output += chunk.toString();
    if (!state.ready && state.output.includes('ready\n')) {
      state.ready = true;
      state.readyAt = Date.now();
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (state.output += chunk.toString()));
  child.stdin!.on('error', () => {}); // EPIPE when the child is gone already
  const exited = new Promise<Exit>((resolve) =>
    child.once('close', (code, signal) => resolve((state.exit = { code, signal }))),
  );
  return { child, exited, state };
}

/** Reads the records the consumers appended since the last call. */
class RunsLog {
  readonly records: RunRecord[] = [];
  #offset = 0;
  #partial = '';

  constructor(readonly file: string) {}

  read(): RunRecord[] {
    let size: number;
    try {
      size = statSync(this.file).size;
    } catch {
      return []; // no handler has run yet
    }
    if (size <= this.#offset) return [];
    const buffer = Buffer.alloc(size - this.#offset);
    const fd = openSync(this.file, 'r');
    try {
      readSync(fd, buffer, 0, buffer.length, this.#offset);
    } finally {
      closeSync(fd);
    }
    this.#offset = size;
    const lines = (this.#partial + buffer.toString('utf8')).split('\n');
    this.#partial = lines.pop()!; // a line being written right now
    const fresh = lines.map((line) => JSON.parse(line) as RunRecord);
    this.records.push(...fresh);
    return fresh;
  }
}

/** One handler run: its attempt, how it ended (`killed`: its process died first), and in which process. */
interface Run {
  attempt: number;
  outcome: 'ok' | 'failed' | 'killed' | 'unfinished';
  pid: number;
}

/** The runs of each message in the order they started, each start matched with its end. */
function runsByMessage(records: readonly RunRecord[], killedPids: ReadonlySet<number>): Map<string, Run[]> {
  const byMessage = new Map<string, Run[]>();
  const open = new Map<string, Run[]>();
  for (const record of records) {
    const key = `${record.pid} ${record.messageId} ${record.attempt}`;
    if (record.type === 'start') {
      const run: Run = { attempt: record.attempt, outcome: 'unfinished', pid: record.pid };
      byMessage.set(record.messageId, [...(byMessage.get(record.messageId) ?? []), run]);
      open.set(key, [...(open.get(key) ?? []), run]);
    } else {
      const run = open.get(key)?.shift();
      if (run === undefined) throw new Error(`an end without a start: ${JSON.stringify(record)}`);
      run.outcome = record.outcome!;
    }
  }
  for (const runs of open.values())
    for (const run of runs) if (killedPids.has(run.pid)) run.outcome = 'killed';
  return byMessage;
}

it(`${TOTAL} messages while the consumer process is SIGKILLed ${KILLS} times mid-batch`, async () => {
  const { id, appId, queue, exchange, routingKey } = uniqueNames('rel3');
  const runsFile = join(tmpdir(), `${appId}.runs.jsonl`);
  const keyPrefix = `tidings-test:reliability:${randomUUID().slice(0, 8)}:`;
  const waitQueues = REPEAT_DELAYS_MS.map((delay) => waitQueueName(queue, delay));
  cleanups.add(() => rmSync(runsFile, { force: true }));

  const admin = adminTransport(AMQP_URL, { id, appId, queue, exchange }, waitQueues, cleanups);
  const redis = new Redis(REDIS_URL);
  cleanups.add(async () => {
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  const env = {
    REL_QUEUE: queue,
    REL_ROUTING_KEY: routingKey,
    REL_APP_ID: appId,
    REL_RUNS_FILE: runsFile,
    REL_AMQP_URL: AMQP_URL,
    REL_REDIS_URL: REDIS_URL,
    REL_KEY_PREFIX: keyPrefix,
    REL_PREFETCH: String(PREFETCH),
    REL_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
    REL_REPEAT_DELAYS_MS: REPEAT_DELAYS_MS.join(','),
  };
  const children: ReturnType<typeof startChild>[] = [];
  const start = async () => {
    const current = startChild(env);
    children.push(current);
    cleanups.add(() => {
      if (current.state.exit === undefined) current.child.kill('SIGKILL');
    });
    await waitFor(
      () => current.state.ready || current.state.exit !== undefined,
      60_000,
      `consumer ${children.length} to start`,
    );
    expect(current.state.ready, current.state.output).toBe(true);
    return current;
  };

  // What the consumers did, read from their file as it grows: a successful handler run is a receipt.
  const history = new History();
  const log = new RunsLog(runsFile);
  const poll = () => {
    for (const record of log.read())
      if (record.type === 'end' && record.outcome === 'ok') history.receive(record.messageId);
  };
  const succeeded = () => {
    poll();
    return history.check().received;
  };

  let consumer = await start();
  const publisher = new Publisher(admin, { appId });
  const ids = Array.from({ length: TOTAL }, (_, index) => `${id}-m${index}`);
  const indexOf = new Map(ids.map((messageId, index) => [messageId, index]));
  const failTwice = new Set(ids.filter((_, index) => index % FAIL_EVERY === 0));
  const publishing = publishAll(
    ids,
    history,
    (messageId) => {
      const payload: KilledConsumerPayload = {
        index: indexOf.get(messageId)!,
        failTwice: failTwice.has(messageId),
      };
      return publisher.send(payload, routingKey, { messageId });
    },
    { concurrency: 50 },
  );

  // Each kill at a random moment of its own stretch of the batch, and never before the current consumer
  // has handled a few prefetch windows: every kill hits a consumer in the middle of its work.
  const kills: { pid: number; succeededBefore: number; runningHandlers: number }[] = [];
  for (let kill = 0; kill < KILLS; kill++) {
    const stretch = (0.8 * TOTAL) / KILLS;
    const threshold = Math.max(
      Math.round(0.05 * TOTAL + stretch * (kill + Math.random())),
      succeeded() + 2 * PREFETCH,
    );
    await waitFor(
      () => succeeded() >= threshold,
      120_000,
      `${threshold} messages handled before kill ${kill + 1}`,
    );
    await sleep(Math.random() * 50);
    const pid = consumer.child.pid!;
    consumer.child.kill('SIGKILL');
    const exit = await consumer.exited;
    expect(exit.signal, consumer.state.output).toBe('SIGKILL');
    poll();
    const started = log.records.filter((r) => r.pid === pid && r.type === 'start').length;
    const ended = log.records.filter((r) => r.pid === pid && r.type === 'end').length;
    kills.push({ pid, succeededBefore: history.check().received, runningHandlers: started - ended });
    consumer = await start();
  }
  await publishing;

  // The last consumer drains everything, then stops gracefully (its acks flushed).
  await waitFor(() => (poll(), history.allOkReceived), 120_000, 'every confirmed message to be handled');
  await waitFor(
    async () => {
      for (const name of [queue, ...waitQueues])
        if ((await admin.queueStats(name))?.messageCount !== 0) return false;
      return true;
    },
    60_000,
    'the queue and the wait queues to be empty',
  );
  await sleep(500); // copies still on their way (a duplicate's repeat) are handled too
  consumer.child.stdin!.end();
  const lastExit = await consumer.exited;
  expect(lastExit, consumer.state.output).toEqual({ code: 0, signal: null });
  poll();

  const deadLetters = await new DeadLetters(admin, { appId }).list();
  const stats = await Promise.all([queue, ...waitQueues].map((name) => admin.queueStats(name)));
  const result = history.check();

  // Repeat counts, message by message.
  const killedPids = new Set(kills.map((kill) => kill.pid));
  const byMessage = runsByMessage(log.records, killedPids);
  let gaps = 0;
  let touched = 0;
  let duplicateRuns = 0;
  /** Runs after success whose attempt is not above the success's: the count was forgotten at the ack. */
  let recountedDuplicates = 0;
  let maxAttempt = 0;
  const wrong: string[] = [];
  for (const messageId of ids) {
    const runs = byMessage.get(messageId) ?? [];
    const firstOk = runs.findIndex((run) => run.outcome === 'ok');
    if (firstOk < 0) continue; // lost: reported by the history
    const upToSuccess = runs.slice(0, firstOk + 1);
    const success = runs[firstOk]!.attempt;
    maxAttempt = Math.max(maxAttempt, ...runs.map((run) => run.attempt));
    duplicateRuns += runs.length - upToSuccess.length;
    recountedDuplicates += runs.slice(firstOk + 1).filter((run) => run.attempt <= success).length;
    const describe = `${messageId}: ${runs.map((run) => `${run.attempt}${run.outcome[0]}@${run.pid}`).join(' ')}`;
    if (runs.some((run) => run.outcome === 'unfinished')) wrong.push(`a run never ended: ${describe}`);
    // The attempt numbers only grow until the message succeeds; one without a run is a gap.
    if (upToSuccess.some((run, index) => index > 0 && run.attempt <= upToSuccess[index - 1]!.attempt))
      wrong.push(`attempts not increasing: ${describe}`);
    gaps += success - upToSuccess.length;
    const clean = failTwice.has(messageId) ? ['1failed', '2failed', '3ok'] : ['1ok'];
    if (failTwice.has(messageId) && success < 3) wrong.push(`succeeded before attempt 3: ${describe}`);
    // A message no kill came near: exactly the runs its handler asks for, both failures recorded.
    if (runs.map((run) => `${run.attempt}${run.outcome}`).join() !== clean.join()) touched++;
  }
  // The fault is over once the new process consumes: how long from then until its first handler succeeded.
  const resumedMs = children.slice(1).map((child) => {
    const firstOk = log.records.find(
      (r) => r.pid === child.child.pid && r.type === 'end' && r.outcome === 'ok',
    );
    return firstOk === undefined ? Infinity : firstOk.at - child.state.readyAt;
  });
  const killedRuns = kills.reduce((sum, kill) => sum + kill.runningHandlers, 0);
  const warnings = children.reduce(
    (sum, child) => sum + (child.state.output.match(/^warning /gm)?.length ?? 0),
    0,
  );
  const errors = children.flatMap((child) => child.state.output.match(/^error .*$/gm) ?? []);

  reportFigures({
    scenario: '3-consumer-killed',
    size:
      `${TOTAL} messages (every ${FAIL_EVERY}th failing twice), Redis repeat counter, prefetch ${PREFETCH}; ` +
      `consumer process SIGKILLed ${KILLS}× mid-batch and restarted`,
    ...figuresFrom(result),
    // From each restarted consumer's start until its first successful handler run.
    recoveryMs: medianAndMax(resumedMs),
    notes:
      `${KILLS} kills cut ${killedRuns} running handlers; ${duplicateRuns} handler runs after success ` +
      `(${result.duplicated} messages succeeded twice; ${recountedDuplicates} of these runs with an attempt ` +
      `not above the success's); ${gaps} attempts counted without a run ` +
      `(bound ${KILLS * PREFETCH}); ${touched} messages with other than their own runs; ` +
      `highest attempt ${maxAttempt}; dead letters ${deadLetters.length}; warnings ${warnings}`,
  });
  console.info(`[reliability 3] ${summarize(result)}; kills ${JSON.stringify(kills)}`);

  expect(result.lost).toEqual([]);
  expect(result.phantom).toEqual([]);
  expect(result.ok).toBe(TOTAL);
  expect(wrong).toEqual([]);
  expect(errors).toEqual([]);
  expect(deadLetters).toEqual([]);
  for (const stat of stats) expect(stat).toMatchObject({ messageCount: 0, consumerCount: 0 });
  // Attempts counted without a handler run, and messages whose runs differ from a kill-free run's, only
  // come from deliveries a kill left unacked: at most a prefetch window per kill. (Every delivery a kill
  // leaves unacked does show up, as a cut run, a gap or a run after success: with the window full at
  // each kill, `touched` sits at or just below this bound.)
  expect(gaps).toBeLessThanOrEqual(KILLS * PREFETCH);
  expect(touched).toBeLessThanOrEqual(KILLS * PREFETCH);
  expect(maxAttempt).toBeLessThan(MAX_ATTEMPTS);
  // The kills really hit consumers at work.
  expect(kills).toHaveLength(KILLS);
  expect(kills.every((kill) => kill.succeededBefore < TOTAL)).toBe(true);
  expect(touched).toBeGreaterThan(0);
});
