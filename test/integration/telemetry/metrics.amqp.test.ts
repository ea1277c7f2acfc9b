// The metrics against the real servers: a PgOutbox with 3 rows reports them pending (and their lag)
// while the relay that is about to publish them runs, 0 once relayed; the relay's batch is timed; the
// consumer repeats each message twice, then dead-letters it (repeats-exhausted) into a RabbitMQ
// dead-letter queue whose depth the gauge reads from the broker.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import {
  Bridge,
  EventDispatcher,
  OutboxRelay,
  encodeOutboxMessage,
  type ClaimedRow,
} from '../../../src/index.js';
import { PgOutbox, PgUnitOfWork } from '../../../src/postgres.js';
import { AmqpTransport } from '../../../src/rabbitmq.js';
import { deleteDeclared, mergeNames, subscriberNames } from '../../helpers/declared-names.js';
import { resetOtel } from '../../telemetry/otel-sdk.js';
import { eventually, installMeter, type TestMeter } from '../../telemetry/test-meter.js';
import { createPool, dropOutbox, uniqueName } from '../outbox/pg-helpers.js';
import { AMQP_URL } from '../servers.js';

/** Claims wait until `open()`: the gauges are read while the relay runs but has not relayed yet. */
class GatedPgOutbox extends PgOutbox {
  #open!: () => void;
  readonly #gate = new Promise<void>((resolve) => (this.#open = resolve));

  open(): void {
    this.#open();
  }

  override async claim(owner: string, limit: number, leaseMs: number): Promise<ClaimedRow[]> {
    await this.#gate;
    return super.claim(owner, limit, leaseMs);
  }
}

const pool = createPool();
const table = uniqueName();
const exchange = `metrics${randomUUID().slice(0, 8)}`;
const routingKey = `${exchange}.placed`;
const naming = {
  queue: `${exchange}.billing`,
  bindingKeys: [routingKey],
  appId: `${exchange}-billing`,
  repeatDelaysMs: [0],
};
const transport = new AmqpTransport({ url: AMQP_URL });
let meter: TestMeter;

beforeAll(async () => {
  await new PgOutbox({ pool, table }).ensureSchema();
});

afterAll(async () => {
  await deleteDeclared(transport, mergeNames(subscriberNames(naming), { exchanges: [exchange] }));
  await transport.close();
  await dropOutbox(pool, table);
  await pool.end();
});

beforeEach(() => {
  meter = installMeter();
});

afterEach(async () => {
  await meter.shutdown();
  resetOtel();
});

it('outbox gauges, batch timings, repeats and dead letters by reason, and the dead-letter queue depth', async () => {
  const billing = new Bridge({ dispatcher: new EventDispatcher(), transport, appId: naming.appId });
  const { appId: _appId, ...consumeNaming } = naming;
  billing.consume({
    ...consumeNaming,
    maxAttempts: 3,
    handler: () => {
      throw new TypeError('no such customer');
    },
  });
  await billing.start();
  const outbox = new GatedPgOutbox({ pool, table });
  const rows = ['o-1', 'o-2', 'o-3'].map((orderId) =>
    encodeOutboxMessage({ orderId }, routingKey, { appId: 'shop' }),
  );
  await new PgUnitOfWork({ pool }).transaction((tx) => outbox.add(rows, tx));
  const relay = new OutboxRelay({ outbox, transport, pollIntervalMs: 20 });
  const depth = { 'tidings.dead_letter.queue': `${naming.appId}.dead-letters` };
  try {
    expect(await meter.points('tidings.dead_letter.queue.depth')).toEqual([{ attributes: depth, value: 0 }]);
    relay.start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await meter.points('tidings.outbox.pending')).toEqual([{ attributes: {}, value: 3 }]);
    expect((await meter.points('tidings.outbox.lag'))[0]!.value).toBeGreaterThanOrEqual(0.05);

    outbox.open();
    await eventually(() => meter.total('tidings.consumer.dead_letters'), 3, 20_000);
    expect(await meter.points('tidings.outbox.pending')).toEqual([{ attributes: {}, value: 0 }]);
    expect(await meter.points('tidings.outbox.lag')).toEqual([{ attributes: {}, value: 0 }]);
    expect(await meter.total('tidings.outbox.relay.batch.size')).toBe(1);
    const size = await meter.collected('tidings.outbox.relay.batch.size');
    expect(size?.dataPoints.map((point) => point.value)).toMatchObject([{ count: 1, sum: 3 }]);

    const counted = {
      'messaging.system': 'rabbitmq',
      'messaging.destination.name': exchange,
      'messaging.destination.subscription.name': naming.queue,
      'error.type': 'TypeError',
    };
    expect(await meter.points('tidings.consumer.repeats')).toEqual([{ attributes: counted, value: 6 }]);
    expect(await meter.points('tidings.consumer.dead_letters')).toEqual([
      { attributes: { ...counted, 'tidings.dead_letter.reason': 'repeats-exhausted' }, value: 3 },
    ]);
    // Asked of the broker: the three dead letters wait in the queue.
    await eventually(
      () => meter.points('tidings.dead_letter.queue.depth'),
      [{ attributes: depth, value: 3 }],
    );
  } finally {
    await relay.stop();
    await billing.close();
  }
});
