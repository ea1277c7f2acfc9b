// Scenario 11: a RabbitMQ memory alarm (issue 10, point 4) while messages are published and consumed.
// On a node of the test's own (private-broker.ts): `set_vm_memory_high_watermark` to almost nothing
// raises the alarm at once, and the broker blocks every connection that publishes; after ALARM_MS the
// watermark is restored. The alarm outlasts the publish timeout (so publishes must fail, and must say
// why) and two heartbeats (so the blocked connection must not be taken for dead).
//
// Checked: the publisher's connection stays open (no disconnect), `blocked` carries the broker's reason
// and `unblocked` follows; every publish that failed is a ConnectionBlockedError naming the reason, and
// one that was never sent (`sent: false`) never arrives (counted as failed: a phantom otherwise); no
// confirmed message is lost; publishing resumes after the alarm.
import { afterEach, expect, it } from 'vitest';
import { ConnectionBlockedError, MemoryRepeatCounter, Publisher, Consumer } from '../../../src/index.js';
import { AmqpTransport } from '../../../src/rabbitmq.js';
import { Cleanups, sleep, uniqueNames, waitFor } from '../../integration/faults/fault-helpers.js';
import { figuresFrom, reportFigures } from '../figures.js';
import { drained, medianAndMax, outcomeOf, publishAll } from '../harness.js';
import { History, summarize, type Outcome } from '../history.js';
import { startPrivateBroker } from '../private-broker.js';
import { sized } from '../size.js';

const TOTAL = sized(8_000, 3_000);
const PER_SECOND = 200;
/** The alarm is raised once these shares of the publishes settled (and the previous alarm is over). */
const ALARM_AT = sized([0.2, 0.6], [0.3]);
/** Longer than two heartbeats (5 s each, the default) and than the publish timeout. */
const ALARM_MS = 12_000;
const PUBLISH_TIMEOUT_MS = 4_000;

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

it(`a memory alarm of ${ALARM_MS / 1000} s, ${ALARM_AT.length}×, during ${TOTAL} publishes`, async () => {
  const broker = await startPrivateBroker();
  cleanups.add(() => broker.shutdown());
  const { id, appId, queue, routingKey } = uniqueNames('rel11');

  // Separate connections, as RabbitMQ advises: a connection that publishes is blocked whole, acks too.
  const consumerTransport = new AmqpTransport({ url: broker.url, connectionName: `${id}-sub` });
  const publisherTransport = new AmqpTransport({
    url: broker.url,
    connectionName: `${id}-pub`,
    publishTimeoutMs: PUBLISH_TIMEOUT_MS,
  });
  cleanups.add(() => consumerTransport.close({ timeoutMs: 2000 }));
  cleanups.add(() => publisherTransport.close({ timeoutMs: 2000 }));
  const blocked: { at: number; reason: string }[] = [];
  const unblockedAt: number[] = [];
  let disconnects = 0;
  publisherTransport.on('blocked', (reason) => blocked.push({ at: Date.now(), reason }));
  publisherTransport.on('unblocked', () => unblockedAt.push(Date.now()));
  for (const transport of [publisherTransport, consumerTransport])
    transport.on('disconnected', () => disconnects++);

  const history = new History();
  const subscriber = new Consumer(consumerTransport, {
    queue,
    bindingKeys: [routingKey],
    appId,
    prefetch: 200,
    repeatCounter: new MemoryRepeatCounter(),
  });
  cleanups.add(() => subscriber.close());
  await subscriber.consume(({ messageId }) => history.receive(messageId));
  const publisher = new Publisher(publisherTransport, { appId });
  await publisher.send({ warmUp: true }, routingKey, { messageId: `${id}-warm-up` });
  history.record(`${id}-warm-up`, 'ok');

  const raisedAt: number[] = [];
  /** How long each rabbitmqctl call took: the times above are from when it was issued. */
  const ctlMs: number[] = [];
  const ctl = async (...args: string[]) => {
    const issuedAt = Date.now();
    await broker.rabbitmqctl(...args);
    ctlMs.push(Date.now() - issuedAt);
  };
  const clearedAt: number[] = [];
  const confirmedAt: number[] = [];
  const failures = new Map<string, number>();
  const reasons = new Set<string>();
  let settled = 0;
  const alarms = (async () => {
    for (const share of ALARM_AT) {
      await waitFor(() => settled >= share * TOTAL, 120_000, `${share * 100} % of the publishes`);
      raisedAt.push(Date.now());
      await ctl('set_vm_memory_high_watermark', '0.0000001');
      await sleep(ALARM_MS);
      clearedAt.push(Date.now());
      await ctl('set_vm_memory_high_watermark', '0.4');
    }
  })();
  // A publish that waited on the block and was never sent is definitely not sent: if it arrived anyway,
  // the checker would report it as a phantom. The outcome of the others is what the harness says.
  const failedAt: number[] = [];
  const classify = (error: unknown): Outcome => {
    failedAt.push(Date.now());
    const kind =
      error instanceof ConnectionBlockedError ? `ConnectionBlockedError(sent: ${error.sent})` : String(error);
    failures.set(kind, (failures.get(kind) ?? 0) + 1);
    if (error instanceof ConnectionBlockedError) {
      reasons.add(error.reason);
      return error.sent ? 'unknown' : 'failed';
    }
    return outcomeOf(error);
  };
  const ids = Array.from({ length: TOTAL }, (_, index) => `${id}-m${index}`);
  const startedAt = Date.now();
  await publishAll(
    ids,
    history,
    async (messageId) => {
      // Publisher.send has a timeout of its own (10 s), whatever the transport's publishTimeoutMs.
      await publisher.send({ messageId }, routingKey, { messageId, timeoutMs: PUBLISH_TIMEOUT_MS });
      confirmedAt.push(Date.now());
    },
    {
      concurrency: 50,
      perSecond: PER_SECOND,
      onProgress: (count) => (settled = count),
      outcome: classify,
    },
  );
  await alarms;
  const runMs = Date.now() - startedAt;

  const { result, deadLetters } = await drained(history, consumerTransport, {
    queue,
    appId,
    arrivalTimeoutMs: 60_000,
  });
  const after = (times: number[], since: number[]) =>
    since.map((at) => (times.find((time) => time >= at) ?? NaN) - at);
  const blockedMs = after(
    blocked.map((event) => event.at),
    raisedAt,
  );
  const unblockedMs = after(unblockedAt, clearedAt);
  const resumedMs = after(confirmedAt, clearedAt);
  reportFigures({
    scenario: '11-broker-alarm',
    size: `${TOTAL} publishes at ${PER_SECOND}/s; memory alarm of ${ALARM_MS / 1000} s ${ALARM_AT.length}×, publish timeout ${PUBLISH_TIMEOUT_MS / 1000} s`,
    ...figuresFrom(result),
    recoveryMs: medianAndMax(resumedMs),
    notes:
      `run ${(runMs / 1000).toFixed(1)} s; blocked ${blockedMs.join(', ')} ms after the alarm, ` +
      `unblocked ${unblockedMs.join(', ')} ms after it cleared, publishing again ${resumedMs.join(', ')} ms after; ` +
      `reasons ${[...reasons].join(', ')}; failures ${JSON.stringify(Object.fromEntries(failures))}; ` +
      `failures ${Math.min(...failedAt) - raisedAt[0]!}–${Math.max(...failedAt) - raisedAt[0]!} ms after the first alarm; ` +
      `rabbitmqctl took ${ctlMs.join(', ')} ms; ` +
      `disconnects ${disconnects}; dead letters ${deadLetters.length}`,
  });
  console.info(`[reliability 11] ${summarize(result)}`);

  expect(raisedAt).toHaveLength(ALARM_AT.length);
  expect(result.lost).toEqual([]);
  expect(result.phantom).toEqual([]);
  expect(deadLetters).toEqual([]);
  // The blocked connection was not taken for dead, nor closed.
  expect(disconnects).toBe(0);
  expect(blocked).toHaveLength(ALARM_AT.length);
  expect(unblockedAt).toHaveLength(ALARM_AT.length);
  expect(blocked.every((event) => /memory/.test(event.reason))).toBe(true);
  // Every failure named the block and its reason; publishes that waited past their timeout failed.
  expect([...failures.keys()].every((kind) => kind.startsWith('ConnectionBlockedError'))).toBe(true);
  expect(failures.get('ConnectionBlockedError(sent: false)')).toBeGreaterThan(0);
  expect([...reasons].every((reason) => /memory/.test(reason))).toBe(true);
  expect(resumedMs.every((ms) => Number.isFinite(ms))).toBe(true);
});
