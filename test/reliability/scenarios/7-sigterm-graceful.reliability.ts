// Scenario 7: a consumer process busy with a batch (handlers of 20–50 ms, prefetch 50) gets SIGTERM and
// stops the documented way (subscriber.close(), transport.close(), exit 0); a new process takes over, as a
// deployment would, and the next one is stopped too. Every handler run that started must end, every
// message it handled must be acked before the process exits (nothing comes back redelivered, nothing runs
// twice), and once a last consumer has drained the queue nothing may be lost.
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { DeadLetters, Publisher, defaultDeadLetterNames, waitQueueName } from '../../../src/index.js';
import { consumerTopology } from '../../../src/messaging/consumer/consumer-topology.js';
import { Cleanups, tally, uniqueNames, waitFor } from '../../integration/faults/fault-helpers.js';
import { AMQP_URL } from '../../integration/servers.js';
import { startChild, type Child, type ChildExit } from '../child-process.js';
import { figuresFrom, reportFigures } from '../figures.js';
import { adminTransport, medianAndMax, publishAll } from '../harness.js';
import { History, summarize } from '../history.js';
import { queueCounts, type QueueCounts } from '../queue-counts.js';
import { sized } from '../size.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/graceful-subscriber.ts', import.meta.url));
const TOTAL = sized(5_000, 1_000);
/** SIGTERM once this share of the messages has been handled (counted over all the processes so far). */
const STOP_AT = sized([0.2, 0.4, 0.6, 0.8], [0.3, 0.65]);
const PREFETCH = 50;
/** The stop must end with exit 0 well within this: the handlers take 50 ms at most. */
const STOP_DEADLINE_MS = 20_000;

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

/** One line of the runs file the children append to (see the fixture); `id` is absent on sigterm/stopped. */
interface RunEvent {
  event: 'start' | 'end' | 'settled' | 'sigterm' | 'stopped';
  pid: number;
  id: string;
  attempt?: number;
  redelivered?: boolean;
  outcome?: string;
  running?: number;
}

function readRuns(file: string): RunEvent[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as RunEvent);
}

interface Stop {
  pid: number;
  startedBefore: number;
  runningAtSigterm: number;
  stopMs: number;
  exit: ChildExit;
  counts: QueueCounts | undefined;
  ackedSoFar: number;
  readyExpected: number;
}

it(`${TOTAL} messages; the consumer process gets SIGTERM mid-batch ${STOP_AT.length} times and stops gracefully`, async () => {
  const { id, appId, queue, routingKey, exchange } = uniqueNames('rel7');
  const runsFile = join(tmpdir(), `${id}.runs.jsonl`);
  cleanups.add(() => rmSync(runsFile, { force: true }));
  const admin = adminTransport(
    AMQP_URL,
    { id, appId, queue, exchange },
    [waitQueueName(queue, 50)],
    cleanups,
  );
  // The queue the children consume, declared as their Consumer declares it, so the whole batch can be
  // published (and counted) before the first consumer starts.
  await admin.declare(
    consumerTopology({
      queue,
      bindingKeys: [routingKey],
      deadLetter: defaultDeadLetterNames(appId),
      repeatDelaysMs: [50],
    }),
  );

  const history = new History();
  const publisher = new Publisher(admin, { appId });
  const ids = Array.from({ length: TOTAL }, (_, index) => `${id}-m${index}`);
  const indexOf = new Map(ids.map((messageId, index) => [messageId, index]));
  await publishAll(
    ids,
    history,
    (messageId) => publisher.send({ index: indexOf.get(messageId) }, routingKey, { messageId }),
    { concurrency: 100 },
  );
  const ok = history.check().ok;

  let started = 0;
  let acked = 0;
  const children: Child[] = [];
  const start = async () => {
    let ready = false;
    const child = startChild(
      FIXTURE,
      {
        GRACEFUL_AMQP_URL: AMQP_URL,
        GRACEFUL_QUEUE: queue,
        GRACEFUL_ROUTING_KEY: routingKey,
        GRACEFUL_APP_ID: appId,
        GRACEFUL_RUNS_FILE: runsFile,
        GRACEFUL_PREFETCH: String(PREFETCH),
      },
      (line) => {
        if (line === 's') started++;
        else if (line === 'a') acked++;
        else if (line === 'ready') ready = true;
      },
    );
    children.push(child);
    cleanups.add(() => {
      if (child.exit === undefined) child.process.kill('SIGKILL');
    });
    await waitFor(() => ready || child.exit !== undefined, 30_000, 'the consumer process to start');
    expect(child.exit, child.output).toBeUndefined();
    return child;
  };
  const stop = async (child: Child): Promise<Omit<Stop, 'counts' | 'ackedSoFar' | 'readyExpected'>> => {
    const startedBefore = started;
    const signalledAt = Date.now();
    child.process.kill('SIGTERM');
    await waitFor(() => child.exit, STOP_DEADLINE_MS, `process ${child.process.pid} to exit after SIGTERM`);
    const stopMs = Date.now() - signalledAt;
    const sigterm = readRuns(runsFile).find(
      (run) => run.event === 'sigterm' && run.pid === child.process.pid,
    );
    return {
      pid: child.process.pid!,
      startedBefore,
      runningAtSigterm: sigterm?.running ?? -1,
      stopMs,
      exit: child.exit!,
    };
  };
  const ackedIds = () =>
    new Set(
      readRuns(runsFile)
        .filter((run) => run.event === 'settled' && run.outcome === 'acked')
        .map((run) => run.id),
    );

  const stops: Stop[] = [];
  for (const share of STOP_AT) {
    const child = await start();
    await waitFor(() => started >= share * TOTAL, 60_000, `${share * TOTAL} handler runs`);
    const stopped = await stop(child);
    // Right after the exit: no consumer left, and every message is either acked or ready in the queue
    // (RabbitMQ's own count, unacked included): none is held unacked by a connection that lingers.
    const counts = await queueCounts(queue);
    const ackedSoFar = ackedIds().size;
    stops.push({ ...stopped, counts, ackedSoFar, readyExpected: ok - ackedSoFar });
  }
  const last = await start();
  await waitFor(() => acked >= ok, 60_000, 'the last consumer to drain the queue');
  const lastStop = await stop(last);

  const runs = readRuns(runsFile);
  for (const run of runs) if (run.event === 'settled' && run.outcome === 'acked') history.receive(run.id);
  const result = history.check();
  const startsById = tally(runs.filter((run) => run.event === 'start').map((run) => run.id));
  const ranTwice = [...startsById].filter(([, count]) => count > 1).map(([messageId]) => messageId);
  // Per process: every handler run that started also ended before the process exited.
  const cutOff = children.flatMap((child) => {
    const ofChild = runs.filter((run) => run.pid === child.process.pid);
    const ended = new Set(ofChild.filter((run) => run.event === 'end').map((run) => run.id));
    return ofChild.filter((run) => run.event === 'start' && !ended.has(run.id)).map((run) => run.id);
  });
  // Per process: every message it started was acked by that same process (not left to a redelivery).
  const notAckedBySameProcess = children.flatMap((child) => {
    const ofChild = runs.filter((run) => run.pid === child.process.pid);
    const ackedHere = new Set(
      ofChild.filter((run) => run.event === 'settled' && run.outcome === 'acked').map((run) => run.id),
    );
    return ofChild.filter((run) => run.event === 'start' && !ackedHere.has(run.id)).map((run) => run.id);
  });
  const redelivered = runs.filter((run) => run.event === 'start' && (run.redelivered || run.attempt !== 1));
  const otherOutcomes = runs.filter((run) => run.event === 'settled' && run.outcome !== 'acked');
  const finalStats = await admin.queueStats(queue);
  const deadLetters = await new DeadLetters(admin, { appId }).list();

  reportFigures({
    scenario: '7-sigterm-graceful',
    size: `${TOTAL} messages (handlers 20–50 ms, prefetch ${PREFETCH}); SIGTERM to the consumer process mid-batch ${STOP_AT.length} times, then a last consumer drains`,
    ...figuresFrom(result),
    notes:
      `SIGTERM mid-batch → exit 0 in ${stops.map((s) => s.stopMs).join(', ')} ms ` +
      `(p50, max ${medianAndMax(stops.map((s) => s.stopMs)).join(', ')}), after draining ${lastStop.stopMs} ms; ` +
      `handlers running at each SIGTERM ${stops.map((s) => s.runningAtSigterm).join(', ')}; ` +
      `runs cut off 0 of ${runs.filter((run) => run.event === 'start').length}; ` +
      `unacked right after each exit ${stops.map((s) => s.counts?.unacked).join(', ')}; ` +
      `redelivered after a stop ${redelivered.length}`,
  });
  console.info(
    `[reliability 7] ${summarize(result)}; processes ${children.length}; ` +
      `stops ${JSON.stringify(stops.map(({ pid: _pid, ...s }) => s))}`,
  );

  for (const stopped of [...stops, lastStop]) {
    expect(stopped.exit, `process ${stopped.pid}`).toEqual({ code: 0, signal: null });
  }
  for (const stopped of stops) {
    // The SIGTERM came mid-batch: handlers were running, and the queue still held messages.
    expect(stopped.runningAtSigterm).toBeGreaterThan(0);
    expect(stopped.readyExpected).toBeGreaterThan(0);
    expect(stopped.counts).toEqual({ ready: stopped.readyExpected, unacked: 0, consumers: 0 });
  }
  expect(cutOff).toEqual([]);
  expect(notAckedBySameProcess).toEqual([]);
  expect(ranTwice).toEqual([]);
  expect(redelivered).toEqual([]);
  expect(otherOutcomes).toEqual([]);
  expect(result.lost).toEqual([]);
  expect(result.phantom).toEqual([]);
  expect(result.duplicated).toBe(0);
  expect(result.ok).toBe(TOTAL);
  expect(finalStats).toEqual({ messageCount: 0, consumerCount: 0 });
  expect(deadLetters).toEqual([]);
});
