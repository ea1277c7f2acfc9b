// Scenario 6: while messages are published continuously, the consumer is closed with `subscriber.close()`
// and a new Consumer opened on the same queue, 5 times, each time while handlers (a few ms each) are
// still running. A graceful close lets running handlers finish and acks what they finished before the
// channel closes: nothing may be lost, nothing may run twice, nothing may be left in the queue or unacked.
import { afterEach, expect, it } from 'vitest';
import { DeadLetters, Publisher, Consumer, waitQueueName, type SettledOutcome } from '../../../src/index.js';
import { AmqpTransport } from '../../../src/rabbitmq.js';
import { Cleanups, sleep, tally, uniqueNames, waitFor } from '../../integration/faults/fault-helpers.js';
import { AMQP_URL } from '../../integration/servers.js';
import { figuresFrom, reportFigures } from '../figures.js';
import { adminTransport, medianAndMax, publishAll } from '../harness.js';
import { History, summarize } from '../history.js';
import { queueCounts } from '../queue-counts.js';
import { sized } from '../size.js';

const TOTAL = sized(5_000, 1_500);
const REOPENS = 5;
/** Paced: the run lasts about 17 s (CI: 5 s), so the reopens fall while messages keep arriving. */
const PER_SECOND = 300;
const PREFETCH = 20;
/** "A few ms" per handler run: closes land while some are running. */
const handlerMs = (index: number) => 2 + (index % 5);

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

it(`${TOTAL} messages while the consumer is closed and reopened ${REOPENS} times`, async () => {
  const { id, appId, queue, routingKey, exchange } = uniqueNames('rel6');
  const admin = adminTransport(
    AMQP_URL,
    { id, appId, queue, exchange },
    [waitQueueName(queue, 50)],
    cleanups,
  );
  const consumerTransport = new AmqpTransport({ url: AMQP_URL, connectionName: `${id}-sub` });
  const publisherTransport = new AmqpTransport({ url: AMQP_URL, connectionName: `${id}-pub` });
  cleanups.add(() => consumerTransport.close({ timeoutMs: 2000 }));
  cleanups.add(() => publisherTransport.close({ timeoutMs: 2000 }));
  const transportErrors: string[] = [];
  for (const transport of [consumerTransport, publisherTransport])
    transport.on('error', (error) => transportErrors.push(error.message));

  const history = new History();
  const settled: SettledOutcome[] = [];
  const subscriberErrors: string[] = [];
  let handled = 0;
  let running = 0;
  let firstRunAfterOpen: number | undefined;
  const handler = async ({ messageId, payload }: { messageId: string; payload: { index: number } }) => {
    firstRunAfterOpen ??= Date.now();
    history.receive(messageId); // a run of the handler: a second one for an id is a duplicate
    handled++;
    running++;
    try {
      await sleep(handlerMs(payload.index));
    } finally {
      running--;
    }
  };
  const open = async () => {
    const subscriber = new Consumer<{ index: number }>(consumerTransport, {
      queue,
      bindingKeys: [routingKey],
      appId,
      prefetch: PREFETCH,
      repeatDelaysMs: [50],
    });
    subscriber.on('settled', (outcome) => settled.push(outcome));
    subscriber.on('error', (error) => subscriberErrors.push(error.message));
    firstRunAfterOpen = undefined;
    await subscriber.consume(handler);
    return subscriber;
  };
  let subscriber = await open();
  cleanups.add(() => subscriber.close());

  const publisher = new Publisher(publisherTransport, { appId });
  const ids = Array.from({ length: TOTAL }, (_, index) => `${id}-m${index}`);
  const indexOf = new Map(ids.map((messageId, index) => [messageId, index]));
  const publishing = publishAll(
    ids,
    history,
    (messageId) => publisher.send({ index: indexOf.get(messageId) }, routingKey, { messageId }),
    { concurrency: 50, perSecond: PER_SECOND },
  );

  const reopens: { runningAtClose: number; closeMs: number; gapMs: number }[] = [];
  for (let reopen = 1; reopen <= REOPENS; reopen++) {
    // Spread over the run, and always while handlers are running (the probe and the close() below run in
    // the same turn: no handler can finish in between).
    await waitFor(
      () => handled >= (reopen * TOTAL) / (REOPENS + 1) && running > 0,
      60_000,
      `reopen ${reopen}: handlers running after ${(reopen * TOTAL) / (REOPENS + 1)} messages`,
    );
    const runningAtClose = running;
    const closingAt = Date.now();
    await subscriber.close();
    const closeMs = Date.now() - closingAt;
    expect(running, 'close() resolved before the running handlers had finished').toBe(0);
    subscriber = await open();
    await waitFor(() => firstRunAfterOpen, 60_000, `a message handled after reopen ${reopen}`);
    reopens.push({ runningAtClose, closeMs, gapMs: firstRunAfterOpen! - closingAt });
  }
  await publishing;

  await waitFor(() => history.allOkReceived, 60_000, 'every confirmed message to arrive');
  await waitFor(() => running === 0, 10_000, 'the last handlers to finish');
  // The subscriber is still open: the broker must hold nothing for it, neither ready nor unacked.
  const atEnd = await waitFor(
    async () => {
      const counts = await queueCounts(queue);
      return counts !== undefined && counts.ready === 0 && counts.unacked === 0 && counts;
    },
    30_000,
    'nothing ready or unacked in the queue',
  );
  await sleep(300); // a stray redelivery would be handled (and counted) by now
  await subscriber.close();
  // Once the consumer is closed, anything it had not acked would be back in the queue.
  const afterClose = await admin.queueStats(queue);
  const deadLetters = await new DeadLetters(admin, { appId }).list();

  const result = history.check();
  const acked = tally(settled.filter((s) => s.outcome === 'acked').map((s) => s.messageId));
  const ackedTwice = [...acked].filter(([, count]) => count > 1).map(([messageId]) => messageId);
  const otherOutcomes = settled.filter((s) => s.outcome !== 'acked');
  reportFigures({
    scenario: '6-consumer-reopened',
    size: `${TOTAL} messages at ${PER_SECOND}/s; the consumer closed and reopened ${REOPENS} times, each time with handlers running`,
    ...figuresFrom(result),
    recoveryMs: medianAndMax(reopens.map((reopen) => reopen.gapMs)),
    notes:
      `gap from close() to the next handled message per reopen ${reopens.map((r) => r.gapMs).join(', ')} ms ` +
      `(close() itself ${reopens.map((r) => r.closeMs).join(', ')} ms); handlers running at each close ` +
      `${reopens.map((r) => r.runningAtClose).join(', ')}; unacked at the end ${atEnd.unacked}; ` +
      `left in the queue after the last close ${afterClose?.messageCount}`,
  });
  console.info(
    `[reliability 6] ${summarize(result)}; settled ${settled.length} (other than acked: ${otherOutcomes.length}); ` +
      `subscriber errors ${subscriberErrors.length}; transport errors ${transportErrors.length}`,
  );

  expect(result.lost).toEqual([]);
  expect(result.phantom).toEqual([]);
  expect(result.duplicated, 'a message was handled twice').toBe(0);
  expect(result.unknown, 'no fault: every publish was confirmed').toBe(0);
  // Where each message ended up: acked exactly once, by whichever subscriber handled it; nothing was
  // repeated or dead-lettered.
  expect(ackedTwice).toEqual([]);
  expect(acked.size).toBe(result.received);
  expect(otherOutcomes).toEqual([]);
  expect(deadLetters).toEqual([]);
  expect(atEnd).toEqual({ ready: 0, unacked: 0, consumers: 1 });
  expect(afterClose).toEqual({ messageCount: 0, consumerCount: 0 });
  expect(subscriberErrors).toEqual([]);
  expect(transportErrors).toEqual([]);
  // Every close happened with handlers in flight.
  expect(reopens.map((reopen) => reopen.runningAtClose > 0)).toEqual(Array(REOPENS).fill(true));
});
