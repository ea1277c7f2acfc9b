// The relay's connection to RabbitMQ goes through a TCP proxy while 2,000 rows drain. It is cut 3 times,
// each time in the middle of a batch: (1) in the very tick a publish is issued, before anything of the
// batch could be confirmed; (2) a few milliseconds after, while confirms are on their way; (3) while
// the consumer is receiving the batch. In a second test the broker is unreachable for 2 s, longer than
// a publish may wait. Publishes in flight fail (or their confirms are lost); those rows are marked
// failed and tried again after a backoff. Nothing may be lost: every row is received and ends marked
// published. A row whose confirm was lost with the connection is sent again, so duplicates are allowed.
import { afterEach, expect, it } from 'vitest';
import type { OutgoingMessage, PublishOptions } from '../../../../src/index.js';
import { OutboxRelay } from '../../../../src/index.js';
import { AmqpTransport } from '../../../../src/rabbitmq.js';
import { PgOutbox } from '../../../../src/postgres.js';
import type { TcpProxy } from '../../../helpers/tcp-proxy.js';
import { Cleanups, proxyTo, sleep, uniqueNames, waitFor } from '../../faults/fault-helpers.js';
import { AMQP_URL } from '../../servers.js';
import { createPool, dropOutbox, uniqueName } from '../pg-helpers.js';
import {
  commitRows,
  countingConsumer,
  deliveryReport,
  distinctReceived,
  rowStates,
} from './outbox-fault-helpers.js';

const TOTAL = 2000;
const BATCH_SIZE = 50;
/** Publishes issued (by the relay) after which the relay's broker connection is cut, and how. */
const CUTS = [
  { after: 420, how: 'in the tick of the publish' },
  { after: 1020, how: '3 ms after the publish' },
  { after: 1620, how: 'once the consumer received it' },
] as const;

/** Calls `onPublish` with the running count and the message id after each publish is issued. */
class ObservedTransport extends AmqpTransport {
  published = 0;
  onPublish: (count: number, messageId: string) => void = () => {};

  override publish(message: OutgoingMessage, options?: PublishOptions): Promise<void> {
    const result = super.publish(message, options);
    this.onPublish(++this.published, message.properties.messageId ?? '');
    return result;
  }
}

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

interface BrokerFaults {
  label: string;
  /** How long a publish may wait for a connection and its confirm. */
  publishTimeoutMs: number;
  /** Injects the faults while the rows drain; resolves to when the last one ended. */
  inject(context: {
    proxy: TcpProxy;
    transport: ObservedTransport;
    counts: ReadonlyMap<string, number>;
  }): Promise<number>;
}

/** Drains TOTAL rows through a proxied broker connection while `faults` are injected; checks, reports. */
async function drainThrough(faults: BrokerFaults) {
  const names = uniqueNames('broker-fault');
  const table = uniqueName('broker_fault');
  const pool = createPool({ application_name: names.id });
  cleanups.add(() => pool.end());
  cleanups.add(() => dropOutbox(pool, table));

  // The consumer is connected directly: only the relay's connection goes through the proxy.
  const direct = new AmqpTransport({ url: AMQP_URL, connectionName: `${names.id}-direct` });
  cleanups.add(() => direct.close({ timeoutMs: 2000 }));
  cleanups.add(() => direct.deleteExchange(names.exchange));
  cleanups.add(() => direct.deleteQueue(names.queue));
  const counts = await countingConsumer(direct, names);

  const { proxy, url } = await proxyTo(AMQP_URL, 5672);
  cleanups.add(() => proxy.close());
  const proxied = new ObservedTransport({
    url,
    connectionName: `${names.id}-relay`,
    reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
    publishTimeoutMs: faults.publishTimeoutMs,
  });
  cleanups.add(() => proxied.close({ timeoutMs: 1000 }));
  let disconnections = 0;
  proxied.on('disconnected', () => disconnections++);
  proxied.on('error', () => {});

  const outbox = new PgOutbox({ pool, table, notifyChannel: table });
  await outbox.ensureSchema();
  const ids = await commitRows(pool, outbox, names, TOTAL);

  const relay = new OutboxRelay({
    outbox,
    transport: proxied,
    batchSize: BATCH_SIZE,
    leaseMs: 15_000, // longer than a publish may take (publishTimeoutMs), so no lease runs out
    pollIntervalMs: 100,
    retry: { initialDelayMs: 100, maxDelayMs: 500 },
    keepPublishedMs: 0,
  });
  const relayErrors: Error[] = [];
  const failures: { id: string; attempts: number; error: Error }[] = [];
  relay.on('error', (error) => relayErrors.push(error));
  relay.on('failed', (failure) => failures.push(failure));
  relay.start();
  cleanups.add(() => relay.stop());

  const lastFaultAt = await faults.inject({ proxy, transport: proxied, counts });

  await waitFor(
    async () => (await rowStates(pool, table)).unpublished === 0,
    20_000,
    'every row marked published',
  );
  await waitFor(() => distinctReceived(ids, counts) === TOTAL, 10_000, `all ${TOTAL} ids received`);
  const drainedMs = Date.now() - lastFaultAt;
  await relay.stop();
  await sleep(200);

  const states = await rowStates(pool, table);
  const { lost, duplicates, duplicatedIds, strangers } = deliveryReport(ids, counts);
  const failedIds = new Set(failures.map((failure) => failure.id));
  console.info(
    `[${faults.label}] ${TOTAL} rows, ${disconnections} disconnections; failed publishes ` +
      `${failures.length} (${failedIds.size} rows, ${states.retried} rows with attempts > 0, max ` +
      `${states.maxAttempts}); relay errors ${relayErrors.length}; lost ${lost.length}, duplicates ` +
      `${duplicates} (${duplicatedIds} ids); drained ${drainedMs} ms after the last fault`,
  );
  const kinds = new Set(
    failures.map((f) =>
      `${f.error.name}: ${f.error.message}`.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<id>').slice(0, 100),
    ),
  );
  console.info(`[${faults.label}] failures: ${[...kinds].join(' | ')}`);

  expect(lost).toEqual([]);
  expect(strangers).toEqual([]);
  expect(states).toMatchObject({ total: TOTAL, unpublished: 0 });
  // Every failed row was tried again until it went out: the ones recorded failed are all published.
  expect(states.retried).toBe(failedIds.size);
  expect(relayErrors).toEqual([]);
  return { disconnections, failures, states };
}

it(`${TOTAL} rows drain through ${CUTS.length} cuts of the relay's broker connection: nothing is lost`, async () => {
  const { disconnections, failures } = await drainThrough({
    label: 'broker cut',
    publishTimeoutMs: 5000,
    async inject({ proxy, transport, counts }) {
      const cutAt: number[] = [];
      const cut = () => {
        proxy.cut();
        cutAt.push(Date.now());
      };
      transport.onPublish = (count, messageId) => {
        const [first, second, third] = CUTS;
        if (count === first.after) cut();
        else if (count === second.after) setTimeout(cut, 3);
        else if (count === third.after) {
          void waitFor(() => counts.has(messageId), 10_000, 'the message to cut after').then(cut, cut);
        }
      };
      await waitFor(() => cutAt.length === CUTS.length, 20_000, 'the cuts');
      return cutAt.at(-1)!;
    },
  });
  expect(disconnections).toBeGreaterThanOrEqual(CUTS.length);
  // The first cut came before any confirm of its batch could: at least that publish failed.
  expect(failures.length).toBeGreaterThan(0);
});

it(`${TOTAL} rows drain through a 2 s broker outage, longer than a publish may wait: nothing is lost`, async () => {
  const { disconnections, failures, states } = await drainThrough({
    label: 'broker outage',
    publishTimeoutMs: 500,
    async inject({ proxy, transport }) {
      await waitFor(() => transport.published >= TOTAL / 4, 20_000, `${TOTAL / 4} publishes`);
      proxy.pause(); // connections cut, new ones refused
      await sleep(2000);
      proxy.resume();
      return Date.now();
    },
  });
  expect(disconnections).toBeGreaterThanOrEqual(1);
  // Publishes timed out while the broker was away (a batch every ~0.6 s); their rows were tried again
  // (behind the rows that were never tried: a retried row's available_at is its retry time).
  expect(failures.length).toBeGreaterThanOrEqual(BATCH_SIZE);
  expect(states.retried).toBeGreaterThanOrEqual(BATCH_SIZE);
});
