// 1. What the outbox adds to a flush. Each flush is one transaction of a Flusher over a PgUnitOfWork:
// a small business write (one INSERT into a table of the run), an aggregate that records 1 or 10
// OrderPlaced events, COMMIT, then local dispatch. Without an outbox that is all; with
// `Bridge.useOutbox(flusher, pgOutbox)` the forwarded events are also written to the outbox table by the
// before-commit hook, inside the same transaction. Flushes run one after another on one connection (what
// one request costs), and every SQL round trip is counted, flush by flush.
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { mark } from '../amqp/harness.js';
import { tidingsPostgres } from '../amqp/tidings.js';
import { Order, shop, type Shop } from './fixtures.js';
import {
  CpuMeter,
  createPool,
  RoundTripCounter,
  type CaseSpec,
  type GoalVerdict,
  type MachineReport,
  type Repetition,
  type Row,
  type RunOptions,
  type Scenario,
  type ScenarioResult,
  type Setup,
} from './harness.js';
import { formatTrips } from './report.js';

const { PgOutbox } = tidingsPostgres;

const label = (events: number, outbox: boolean) =>
  `${events} event${events === 1 ? '' : 's'}, ${outbox ? 'with outbox (useOutbox + PgOutbox)' : 'no outbox (local dispatch only)'}`;

const timingOf = (options: RunOptions) =>
  options.quick ? { warmupMs: 300, measureMs: 700 } : { warmupMs: 1000, measureMs: 3000 };

export const scenario: Scenario = {
  id: 'flush',

  async setUp({ pgNames, adminPool }) {
    const orders = pgNames.table('orders');
    const outboxTable = pgNames.table('flush_outbox');
    await adminPool.query(
      `CREATE TABLE "${orders}" (id uuid PRIMARY KEY, total integer NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
    );
    await new PgOutbox({ pool: adminPool, table: outboxTable }).ensureSchema();
    return { orders, outboxTable };
  },

  cases(setup, options) {
    return [flushCase(1, false), flushCase(1, true), flushCase(10, false), flushCase(10, true)];

    function flushCase(events: number, withOutbox: boolean): CaseSpec {
      return {
        label: label(events, withOutbox),
        async measure() {
          return measureFlushes(setup, events, withOutbox, timingOf(options));
        },
      };
    }
  },

  result(rows: Row[], options: RunOptions, machine: MachineReport): ScenarioResult {
    const timing = timingOf(options);
    return {
      id: 'flush',
      title:
        'Flush with and without the outbox: BEGIN, one business INSERT, 1 or 10 events recorded, COMMIT, ' +
        'local dispatch; with the outbox, the forwarded events are written before COMMIT',
      notes: [
        `flushes one after another on one connection; each repetition in a fresh process, fresh pool, empty tables: ` +
          `${timing.warmupMs} ms warm-up then ${timing.measureMs} ms measured; cases interleaved`,
        'round trips = client.query calls, counted flush by flush (node-postgres sends one query at a time per client)',
        'overhead = ms per flush with the outbox minus without, same number of events (medians)',
      ],
      unit: 'flushes/s',
      per: 'flush',
      baseline: label(1, false),
      rows,
      goals: flushGoals(rows),
      machine,
    };
  },
};

/** In the child: flushes for warm-up + measure milliseconds, then checks that the work was done. */
async function measureFlushes(
  setup: Setup,
  events: number,
  withOutbox: boolean,
  timing: { warmupMs: number; measureMs: number },
): Promise<Repetition> {
  const { orders, outboxTable } = setup as { orders: string; outboxTable: string };
  const pool: Pool = createPool('bench-outbox-flush');
  const counter = new RoundTripCounter();
  counter.attach(pool);
  try {
    // Empty tables for every repetition, so that none works on a bigger table than another.
    await pool.query(`TRUNCATE "${orders}", "${outboxTable}"`);
    const outbox = withOutbox
      ? new PgOutbox({ pool, table: outboxTable, notifyChannel: outboxTable })
      : undefined;
    const app: Shop = shop(pool, outbox === undefined ? {} : { outbox });
    const insertOrder = `INSERT INTO "${orders}" (id, total) VALUES ($1, $2)`;
    let seq = 0;
    let allFlushes = 0;
    const flushOnce = async (): Promise<void> => {
      await app.flusher.transaction(async (client) => {
        await client.query(insertOrder, [randomUUID(), seq]);
        const order = new Order();
        order.place(events, seq);
        seq += events;
        return [order];
      });
      allFlushes++;
    };

    const warmEnd = performance.now() + timing.warmupMs;
    while (performance.now() < warmEnd) await flushOnce();

    const kindsBefore = new Map(counter.byKind);
    const perFlush = new Map<number, number>();
    const meter = new CpuMeter();
    meter.begin();
    const start = mark();
    const end = start.time + timing.measureMs;
    let flushes = 0;
    while (performance.now() < end) {
      const before = counter.total;
      await flushOnce();
      flushes++;
      const trips = counter.total - before;
      perFlush.set(trips, (perFlush.get(trips) ?? 0) + 1);
    }
    const stop = mark();
    const cpuSample = meter.end();
    const kinds = counter.since(kindsBefore);

    // The work was done: every event dispatched, and with the outbox, one row per event.
    const expected = allFlushes * events;
    if (app.dispatched() !== expected)
      throw new Error(`dispatched ${app.dispatched()} events, expected ${expected}`);
    const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${outboxTable}"`);
    if (rows[0]!.n !== (withOutbox ? expected : 0)) {
      throw new Error(`the outbox holds ${rows[0]!.n} rows, expected ${withOutbox ? expected : 0}`);
    }
    const cpu = stop.cpu.user - start.cpu.user + stop.cpu.system - start.cpu.system;
    return {
      rate: (flushes * 1000) / (stop.time - start.time),
      cpuUs: cpu / flushes,
      units: flushes,
      kinds: [...kinds],
      perUnit: [...perFlush],
      ...(cpuSample === undefined ? {} : { cpuSample }),
    };
  } finally {
    await pool.end();
  }
}

/** "A flush of 10 forwarded events costs one insert round trip": checked on the counts, flush by flush. */
function flushGoals(rows: readonly Row[]): GoalVerdict[] {
  const verdicts: GoalVerdict[] = [];
  for (const events of [10, 1]) {
    const without = rows.find((row) => row.label === label(events, false));
    const withOutbox = rows.find((row) => row.label === label(events, true));
    if (without === undefined || withOutbox === undefined) continue;
    if (without.roundTrips.units === 0 || withOutbox.roundTrips.units === 0) continue;
    const baseTrips = [...without.roundTrips.perUnit.keys()];
    const outboxTrips = [...withOutbox.roundTrips.perUnit.keys()];
    const inserts = withOutbox.roundTrips.byKind.get('outbox INSERT') ?? 0;
    const met =
      baseTrips.length === 1 &&
      outboxTrips.length === 1 &&
      outboxTrips[0] === baseTrips[0]! + 1 &&
      inserts === withOutbox.roundTrips.units;
    verdicts.push({
      description: `a flush of ${events} forwarded event${events === 1 ? '' : 's'} costs one outbox INSERT round trip`,
      met,
      detail:
        `${formatTrips(withOutbox)} round trips per flush with the outbox vs ${formatTrips(without)} without, ` +
        `${inserts.toLocaleString('en-US')} outbox INSERTs in ${withOutbox.roundTrips.units.toLocaleString('en-US')} flushes`,
    });
  }
  return verdicts;
}
