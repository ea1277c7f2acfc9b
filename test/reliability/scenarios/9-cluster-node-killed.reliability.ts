// Scenario 9: a 3-node RabbitMQ cluster of the test's own (private-cluster.ts), quorum queues, and the
// node that every transport is connected to — the leader of every queue, declared through it — SIGKILLed
// while messages are published, consumed, repeated, dead-lettered and relayed from an outbox. The node
// stays down for the rest of the run: publishing must resume on a surviving node (goal: within 5 s),
// topology must be declared again there, and every confirmed or committed message must end handled once
// or in the dead-letter queue, with each dead letter's handler run once (not again while its copy
// waited for the new leader). Then the node is started again and must rejoin; the ledger is checked
// once everything drained. Repeats that RabbitMQ 3.10 verifiably holds in the wait queue's at-least-once
// dead-letter backlog after the leader change are reported as held, not lost; the scenario then restarts
// that queue's dead-letter worker (the operator's remedy) and they must arrive and be handled.
import { afterEach, expect, it } from 'vitest';
import {
  InMemoryUnitOfWork,
  MemoryOutbox,
  NonRetryableError,
  OutboxRelay,
  Publisher,
  Consumer,
  type Transport,
} from '../../../src/index.js';
import { AmqpTransport } from '../../../src/rabbitmq.js';
import { uuidv7 } from '../../../src/internal/uuid-v7.js';
import { Cleanups, sleep, uniqueNames, waitFor } from '../../integration/faults/fault-helpers.js';
import { figuresFrom, reportFigures } from '../figures.js';
import { publishAll } from '../harness.js';
import { History, summarize } from '../history.js';
import { startPrivateCluster, type DeadLetterWorkerRestart } from '../private-cluster.js';
import { sized } from '../size.js';

const TOTAL = sized(5_000, 1_500);
const PER_SECOND = sized(250, 150);
/** Outbox rows committed alongside, one per this many publishes. */
const OUTBOX_EVERY = 5;
/** The node is killed once this share of the publishes settled. */
const KILL_AT = 0.3;
/** Every FAIL_ONCE_EVERY-th message fails its first attempt (a repeat); every DEAD_EVERY-th is non-retryable. */
const FAIL_ONCE_EVERY = 10;
const DEAD_EVERY = 50;
/** How long a wait queue's dead-letter backlog must stay unchanged before its messages count as held. */
const HELD_STABLE_MS = 4_000;

/** Undelivered messages whose repeat copies the broker verifiably holds in a wait queue's DLX backlog. */
interface Held {
  queue: string;
  /** The ledger's undelivered messages (confirmed or unknown) with a repeat published: the backlog's count. */
  ids: string[];
  /** How many of them were confirmed. */
  confirmed: number;
  /** The wait queue's dead-letter backlog (`messages_dlx`) when found held. */
  backlog: number;
  leader: string;
}

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

it(`a 3-node cluster, quorum queues: the connected node SIGKILLed during ${TOTAL} publishes`, async () => {
  const clusterStartedAt = Date.now();
  const cluster = await startPrivateCluster(3);
  cleanups.add(() => cluster.shutdown());
  const clusterStartMs = Date.now() - clusterStartedAt;
  const { id, appId, queue, routingKey } = uniqueNames('rel9');
  const killed = cluster.nodes[0]!;

  const reconnect = { initialDelayMs: 50, maxDelayMs: 500 };
  const transport = (name: string) => {
    // Every transport starts on the first node, the one that is killed.
    const made = new AmqpTransport({ url: cluster.urls, connectionName: `${id}-${name}`, reconnect });
    cleanups.add(() => made.close({ timeoutMs: 2000 }));
    return made;
  };
  const consumerTransport = transport('sub');
  const publisherTransport = transport('pub');
  const relayTransport = transport('relay');
  const transports: Record<string, Transport> = {
    consumer: consumerTransport,
    publisher: publisherTransport,
    relay: relayTransport,
  };
  const reconnectedAt: Record<string, number[]> = {};
  const transportErrors: string[] = [];
  for (const [name, made] of Object.entries(transports)) {
    reconnectedAt[name] = [];
    made.on('connected', () => reconnectedAt[name]!.push(Date.now()));
    made.on('error', (error) => transportErrors.push(`${name}: ${error.message}`));
  }

  const history = new History();
  const handlerRuns = new Map<string, number>();
  const copyErrors: string[] = [];
  const settled = { repeated: 0, deadLettered: 0 };
  const subscriber = new Consumer(consumerTransport, {
    queue,
    bindingKeys: [routingKey],
    appId,
    queueType: 'quorum',
    prefetch: 100,
    maxAttempts: 10, // redeliveries after the node loss count as attempts; none may dead-letter
    repeatDelaysMs: [50],
  });
  subscriber.on('error', (error) => copyErrors.push(error.message));
  const waitQueue = `${queue}.wait.50ms`;
  /** Messages with a repeat copy published to the wait queue (whether or not handled since). */
  const repeatedToWait = new Set<string>();
  subscriber.on('settled', (outcome) => {
    if (outcome.outcome === 'repeated') settled.repeated++;
    if (outcome.outcome === 'repeated' && outcome.delayMs > 0) repeatedToWait.add(outcome.messageId);
    if (outcome.outcome === 'dead-lettered') settled.deadLettered++;
  });
  cleanups.add(() => subscriber.close());
  await subscriber.consume(({ payload, attempt }) => {
    const { messageId, kind } = payload as { messageId: string; kind: 'ok' | 'fail-once' | 'dead' };
    handlerRuns.set(messageId, (handlerRuns.get(messageId) ?? 0) + 1);
    if (kind === 'dead') throw new NonRetryableError(`${messageId} cannot be handled`);
    if (kind === 'fail-once' && attempt === 1) throw new Error(`${messageId} fails once`);
    history.receive(messageId);
  });
  const deadIds = new Set<string>();
  const kindOf = (index: number) => {
    if (index % DEAD_EVERY === 7) return 'dead';
    if (index % FAIL_ONCE_EVERY === 1) return 'fail-once';
    return 'ok';
  };

  // The outbox: rows committed in in-memory transactions, relayed over the cluster by their own transport.
  const unitOfWork = new InMemoryUnitOfWork();
  const outbox = new MemoryOutbox();
  const relay = new OutboxRelay({ outbox, transport: relayTransport, pollIntervalMs: 100, batchSize: 50 });
  relay.on('error', (error) => transportErrors.push(`relay: ${error.message}`));
  relay.start();
  cleanups.add(() => relay.stop());
  const commitOutboxRow = async (index: number) => {
    const rowId = uuidv7();
    const messageId = `${id}-o${index}`;
    history.attempt(messageId);
    await unitOfWork.transaction((tx) =>
      outbox.add(
        [
          {
            id: rowId,
            exchange: routingKey.split('.')[0]!,
            routingKey,
            content: Buffer.from(JSON.stringify({ messageId, kind: 'ok' })),
            properties: { contentType: 'application/json', headers: { 'x-test-id': messageId } },
          },
        ],
        tx,
      ),
    );
    history.settle(messageId, 'ok');
    return rowId;
  };
  const outboxRows = new Map<string, string>(); // row id → test id

  const publisher = new Publisher(publisherTransport, { appId });
  await publisher.send({ messageId: `${id}-warm-up`, kind: 'ok' }, routingKey, {
    messageId: `${id}-warm-up`,
  });
  history.record(`${id}-warm-up`, 'ok');

  // Confirms as they come: the time publishing resumes is the first confirm after the kill.
  const confirmedAt: number[] = [];
  let settledCount = 0;
  let killedAt: number | undefined;
  const kill = (async () => {
    await waitFor(() => settledCount >= KILL_AT * TOTAL, 120_000, `${KILL_AT * 100} % of the publishes`);
    killedAt = Date.now();
    await killed.kill();
  })();
  const ids = Array.from({ length: TOTAL }, (_, index) => `${id}-m${index}`);
  const startedAt = Date.now();
  await publishAll(
    ids,
    history,
    async (messageId) => {
      const index = Number(messageId.slice(messageId.lastIndexOf('m') + 1));
      const kind = kindOf(index);
      if (kind === 'dead') deadIds.add(messageId);
      if (index % OUTBOX_EVERY === 0) {
        const rowMessageId = `${id}-o${index}`;
        outboxRows.set(await commitOutboxRow(index), rowMessageId);
      }
      await publisher.send({ messageId, kind }, routingKey, { messageId });
      confirmedAt.push(Date.now());
    },
    { concurrency: 50, perSecond: PER_SECOND, onProgress: (count) => (settledCount = count) },
  );
  await kill;
  const runMs = Date.now() - startedAt;

  // Every dead letter is read from the dead-letter queue (on the surviving nodes) and counted received.
  const deadLetters: { messageId: string; reason: unknown }[] = [];
  const drainDeadLetters = async () => {
    for (;;) {
      const delivery = await consumerTransport.get(subscriber.deadLetter.queue);
      if (delivery === undefined) return;
      const messageId = (JSON.parse(delivery.content.toString()) as { messageId: string }).messageId;
      deadLetters.push({ messageId, reason: delivery.properties.headers['x-tidings-dead-reason'] });
      history.receive(messageId);
      delivery.ack();
    }
  };
  const everythingArrived = async () => {
    await drainDeadLetters();
    return history.allOkReceived;
  };

  // RabbitMQ 3.10 can stall the at-least-once dead-lettering of the wait queue after the leader change
  // (docs/cluster.md, known broker limitation): the new leader's dead-letter worker forwards its first
  // 32 expired repeats before the consumed queue has a leader again, they are rejected, retried only
  // every 180 s and rejected again, and it takes no more. The copies stay in the wait queue's dead-letter
  // backlog (`messages_dlx`). Held, not lost, when verifiable: every confirmed message not yet handled had
  // its repeat published to the wait queue, the backlog holds at least that many, the wait queue has
  // nothing ready, and neither changed for a while. Not equality: the backlog may also hold the repeat of
  // a message handled since (its original's ack lost with the node, so it ran again and repeated twice)
  // or of one whose publish outcome was unknown, and right after the node rejoins `messages` can read 0
  // while `messages_dlx` still counts the backlog. The remedy below then has to bring every one of them.
  const heldInBacklog = async (): Promise<Held | undefined> => {
    const notHandled = history.check().lost;
    if (notHandled.length === 0 || !notHandled.every((messageId) => repeatedToWait.has(messageId))) return;
    const ids = history.pending.filter((messageId) => repeatedToWait.has(messageId));
    const counts = await cluster.quorumQueue(waitQueue).catch(() => undefined);
    if (counts === undefined || counts.ready !== 0 || counts.deadLetterBacklog < notHandled.length) return;
    return {
      queue: waitQueue,
      ids,
      confirmed: notHandled.length,
      backlog: counts.deadLetterBacklog,
      leader: counts.leader,
    };
  };
  /** Resolves to 'arrived', or to what the broker verifiably holds once that stayed the same for a while. */
  const arrivedOrHeld = () => {
    let seen: { key: string; since: number } | undefined;
    return async (): Promise<'arrived' | Held | false> => {
      if (await everythingArrived()) return 'arrived';
      const held = await heldInBacklog();
      if (held === undefined) {
        seen = undefined;
        return false;
      }
      const key = `${held.ids.join()}|${held.backlog}|${history.check().receipts}`;
      if (seen?.key !== key) seen = { key, since: Date.now() };
      if (Date.now() - seen.since >= HELD_STABLE_MS) return held;
      await sleep(500);
      return false;
    };
  };
  const brokerState = async () => ({
    pending: history.pending.length,
    lost: history.check().lost.length,
    runsOfPending: history.pending
      .slice(0, 5)
      .map((messageId) => [messageId, handlerRuns.get(messageId) ?? 0]),
    queues: Object.fromEntries(
      await Promise.all(
        [queue, waitQueue, subscriber.deadLetter.queue].map(async (name) => [
          name,
          await cluster.quorumQueue(name).catch(String),
        ]),
      ),
    ),
  });

  // First with the node still down: the cluster works on two nodes. What has not arrived by then is
  // reported (with where the broker holds it) and must arrive once the node is back.
  const whileDown = await waitFor(arrivedOrHeld(), sized(30_000, 20_000), 'everything, node down').then(
    async (outcome) =>
      outcome === 'arrived' ? undefined : { held: outcome.ids.length, ...(await brokerState()) },
    async () => brokerState(),
  );
  const restartStartedAt = Date.now();
  await killed.restart();
  const restartMs = Date.now() - restartStartedAt;
  const failWith = (error: unknown, extra: object = {}): never => {
    const state = {
      pending: history.pending.slice(0, 10),
      // Confirmed and not handled (the rest of the pending had an unknown publish outcome).
      lost: history.check().lost.slice(0, 10),
      repeatedAmongLost: history.check().lost.filter((messageId) => repeatedToWait.has(messageId)).length,
      whileDown,
      transportErrors,
      copyErrors,
      settled,
      ...extra,
    };
    throw new Error(`${String(error)}: ${JSON.stringify(state, null, 1)}`);
  };
  const outcome = await waitFor(
    arrivedOrHeld(),
    60_000,
    'every confirmed message handled, dead-lettered or verifiably held by the broker',
  ).catch(async (error: unknown) => failWith(error, { broker: await brokerState() }));
  const held = outcome === 'arrived' ? undefined : outcome;

  // The ledger with the node back: nothing lost but what the broker verifiably holds, nothing phantom.
  const beforeRemedy = history.check();
  const heldIds = new Set(held?.ids);
  expect(beforeRemedy.lost.filter((messageId) => !heldIds.has(messageId))).toEqual([]);
  expect(beforeRemedy.phantom).toEqual([]);

  // The operator's remedy: restart the wait queue's dead-letter worker on its leader. The new worker takes
  // the backlog again, and every held repeat must then arrive and be handled.
  let remedy: (DeadLetterWorkerRestart & { releasedMs: number }) | undefined;
  if (held !== undefined) {
    const remedyAt = Date.now();
    const restarted = await cluster.restartDeadLetterWorker(waitQueue);
    await waitFor(
      async () =>
        (await everythingArrived()) && held.ids.every((messageId) => history.receivedCount(messageId) > 0),
      30_000,
      `the ${held.ids.length} held repeats handled after the dead-letter worker's restart`,
    ).catch(async (error: unknown) => failWith(error, { held, restarted, broker: await brokerState() }));
    remedy = { ...restarted, releasedMs: Date.now() - remedyAt };
  }
  await waitFor(async () => (await outbox.stats()).pending === 0, 60_000, 'the outbox drained');
  await waitFor(
    async () => (await consumerTransport.queueStats(queue))?.messageCount === 0,
    30_000,
    'an empty queue',
  );
  await sleep(500);
  await drainDeadLetters();

  const result = history.check();
  const resumeMs = confirmedAt.find((at) => at > killedAt!)! - killedAt!;
  const back = (name: string) => (reconnectedAt[name]!.find((at) => at > killedAt!) ?? NaN) - killedAt!;
  const reconnectMs = Object.keys(transports).map(back);
  const deadRuns = [...deadIds].map((messageId) => handlerRuns.get(messageId) ?? 0);
  const redeclareFailures = transportErrors.filter((message) => /declare the topology again/.test(message));
  reportFigures({
    scenario: '9-cluster-node-killed',
    size:
      `3-node cluster, quorum queues; ${TOTAL} publishes at ${PER_SECOND}/s and ${outboxRows.size} outbox rows; ` +
      `the connected node (every queue's leader) SIGKILLed at ${KILL_AT * 100} % and left down`,
    ...figuresFrom(result),
    recoveryMs: [resumeMs],
    notes:
      `publishing resumed ${resumeMs} ms after the SIGKILL; transports reconnected after ${reconnectMs.join(', ')} ms; ` +
      `cluster start ${(clusterStartMs / 1000).toFixed(1)} s; run ${(runMs / 1000).toFixed(1)} s; ` +
      `unknown ${result.unknown}; repeats ${settled.repeated}; dead letters ${deadLetters.length} ` +
      `(${new Set(deadLetters.map(({ messageId }) => messageId)).size} distinct) ` +
      `(handler runs each: max ${Math.max(...deadRuns)}); copy retries ${copyErrors.length}; ` +
      `re-declare failures ${redeclareFailures.length}; ` +
      (whileDown === undefined
        ? 'everything arrived while the node was down; '
        : `${whileDown.pending} had not arrived while the node was down; `) +
      `node restarted in ${(restartMs / 1000).toFixed(1)} s` +
      (held === undefined || remedy === undefined
        ? ''
        : `; held by the broker: ${held.ids.length} repeats in ${held.queue}'s dead-letter backlog ` +
          `(RabbitMQ 3.10 at-least-once dead-lettering stall after a leader change), ${held.confirmed} of them ` +
          `confirmed; released by restarting the queue's dead-letter worker on ${remedy.node} ` +
          `(${remedy.rejected} of its ${remedy.pending} forwards rejected by the target): all handled ` +
          `${remedy.releasedMs} ms later`),
  });
  console.info(
    `[reliability 9] ${summarize(result)}; resumed ${resumeMs} ms after the kill; reconnected ${reconnectMs.join(', ')} ms; ` +
      `errors: ${JSON.stringify(transportErrors.slice(0, 10))}; copy errors: ${JSON.stringify(copyErrors.slice(0, 5))}; ` +
      `while down: ${JSON.stringify(whileDown)}; held: ${held?.ids.length ?? 0}; remedy: ${JSON.stringify(remedy)}`,
  );

  expect(killedAt).toBeDefined();
  expect(result.lost).toEqual([]);
  expect(result.phantom).toEqual([]);
  // Goal of issue 10: publishing resumes within 5 s of the SIGKILL of the connected node.
  expect(resumeMs).toBeLessThan(5000);
  expect(reconnectMs.every((ms) => Number.isFinite(ms))).toBe(true);
  // The topology was declared again on a surviving node after every reconnect.
  expect(redeclareFailures).toEqual([]);
  // Every dead letter is there once, as non-retryable, its handler run once (or twice when the kill cut
  // off the delivery it ran on before the decision was made).
  expect(deadLetters.every(({ reason }) => reason === 'non-retryable')).toBe(true);
  // A dead letter's ack lost with the node brings it back once more (at least once): a few duplicates.
  expect(
    deadLetters.length - new Set(deadLetters.map(({ messageId }) => messageId)).size,
  ).toBeLessThanOrEqual(3);
  expect(Math.max(...deadRuns)).toBeLessThanOrEqual(2);
  expect(deadRuns.filter((runs) => runs === 2).length).toBeLessThanOrEqual(Math.ceil(deadIds.size / 5));
  expect(await consumerTransport.queueStats(queue)).toMatchObject({ messageCount: 0 });
});
