// The outbox's gauges (pending rows, lag, in flight, failing), registered by a running OutboxRelay and
// fed from the outbox's stats() once per collection, and the relay's batch histograms (claim → marks).
import { afterEach, beforeEach, expect, it } from 'vitest';
import {
  encodeOutboxMessage,
  InMemoryUnitOfWork,
  MemoryBroker,
  MemoryOutbox,
  MemoryTransport,
  OutboxRelay,
  type ClaimedRow,
} from '../../src/index.js';
import { resetOtel } from './otel-sdk.js';
import { eventually, installMeter, type TestMeter } from './test-meter.js';

/** An outbox whose claims wait until `open()`: the test reads the gauges before the relay relays. */
class GatedOutbox extends MemoryOutbox {
  #open!: () => void;
  readonly #gate = new Promise<void>((resolve) => (this.#open = resolve));
  statsCalls = 0;

  open(): void {
    this.#open();
  }

  override async claim(owner: string, limit: number, leaseMs: number): Promise<ClaimedRow[]> {
    await this.#gate;
    return super.claim(owner, limit, leaseMs);
  }

  override stats(): ReturnType<MemoryOutbox['stats']> {
    this.statsCalls++;
    return super.stats();
  }
}

let meter: TestMeter;

beforeEach(() => {
  meter = installMeter();
});

afterEach(async () => {
  await meter.shutdown();
  resetOtel();
});

it('reports 3 pending rows and their lag before the relay relays them, 0 after, nothing once stopped', async () => {
  const transport = new MemoryTransport({ broker: new MemoryBroker() });
  await transport.declare({
    exchanges: [{ name: 'order', type: 'topic' }],
    queues: [{ name: 'billing.orders' }],
    bindings: [{ queue: 'billing.orders', exchange: 'order', pattern: 'order.placed' }],
  });
  const outbox = new GatedOutbox();
  const rows = ['o-1', 'o-2', 'o-3'].map((orderId) =>
    encodeOutboxMessage({ orderId }, 'order.placed', { appId: 'shop' }),
  );
  await new InMemoryUnitOfWork().transaction((tx) => outbox.add(rows, tx));
  const relay = new OutboxRelay({ outbox, transport, pollIntervalMs: 10 });
  // Not running: no gauge, no query.
  expect(await meter.points('tidings.outbox.pending')).toEqual([]);
  expect(outbox.statsCalls).toBe(0);

  relay.start();
  try {
    await new Promise((resolve) => setTimeout(resolve, 30));
    const statsBefore = outbox.statsCalls;
    expect(await meter.points('tidings.outbox.pending')).toEqual([{ attributes: {}, value: 3 }]);
    expect(outbox.statsCalls).toBe(statsBefore + 1); // one query per collection, for all four gauges
    const [lag] = await meter.points('tidings.outbox.lag');
    expect(lag!.value).toBeGreaterThanOrEqual(0.025);
    expect(await meter.points('tidings.outbox.in_flight')).toEqual([{ attributes: {}, value: 0 }]);
    expect(await meter.points('tidings.outbox.failing')).toEqual([{ attributes: {}, value: 0 }]);

    outbox.open();
    await eventually(() => meter.total('tidings.outbox.relay.batch.size'), 1);
    expect(await meter.points('tidings.outbox.pending')).toEqual([{ attributes: {}, value: 0 }]);
    expect(await meter.points('tidings.outbox.lag')).toEqual([{ attributes: {}, value: 0 }]);
  } finally {
    await relay.stop();
  }
  const size = await meter.collected('tidings.outbox.relay.batch.size');
  expect(size?.dataPoints.map((point) => point.value)).toMatchObject([{ count: 1, sum: 3, min: 3, max: 3 }]);
  const duration = await meter.collected('tidings.outbox.relay.batch.duration');
  expect(duration?.descriptor.unit).toBe('s');
  expect(duration?.dataPoints.map((point) => point.value)).toMatchObject([{ count: 1 }]);

  // Stopped: its callback is unregistered, the outbox is not queried any more (the SDK may still export
  // the last value it had, as cumulative gauges do).
  const statsAfter = outbox.statsCalls;
  await meter.collected('tidings.outbox.pending');
  expect(outbox.statsCalls).toBe(statsAfter);
});
