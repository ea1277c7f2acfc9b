// 3. What the outbox adds to a flush, adapter by adapter: the flush scenario's method (flush.ts) over
// every SqlUnitOfWork tidings ships, on PostgreSQL and on MariaDB/MySQL. Each flush is one
// `Flusher.transaction()` over the adapter: the business row (one INSERT, run with the adapter's own
// `query` in the transaction it handed out), an aggregate that records one OrderPlaced, COMMIT, local
// dispatch. With the outbox, `Bridge.useOutbox(flusher, outbox)` also writes the event through the same
// adapter (PgOutbox or MysqlOutbox over `{ unitOfWork }`), before COMMIT. Without, the same flush with
// the business row only. Round trips are counted on the wire (wire.ts): every driver, the same way.
import { randomUUID } from 'node:crypto';
import type * as MysqlEntry from '../../src/mysql.js';
import { mark, median } from '../amqp/harness.js';
import { alignTable } from '../amqp/report.js';
import { tidings, tidingsPostgres } from '../amqp/tidings.js';
import {
  DATABASE_LABEL,
  databasePorts,
  generatePrismaClients,
  openAdapter,
  selectAdapters,
  statementKind,
  tidingsEntry,
  type AdapterSpec,
} from './adapters.js';
import { Order, OrderPlaced } from './fixtures.js';
import {
  CpuMeter,
  type CaseSpec,
  type MachineReport,
  type Repetition,
  type Row,
  type RunOptions,
  type Scenario,
  type ScenarioResult,
} from './harness.js';
import { formatTrips } from './report.js';
import { WireRoundTrips } from './wire.js';

const { Bridge, EventDispatcher, Flusher, MemoryTransport } = tidings;
const { PgOutbox } = tidingsPostgres;

const OUTBOX_CLASS = { postgres: 'PgOutbox', mysql: 'MysqlOutbox' } as const;
const adapterLabel = (spec: AdapterSpec) => `${DATABASE_LABEL[spec.database]} ${spec.name}`;
const label = (spec: AdapterSpec, outbox: boolean) =>
  `${adapterLabel(spec)}, ${outbox ? `with outbox (${OUTBOX_CLASS[spec.database]})` : 'no outbox'}`;

// Shorter than flush.ts's 1 s + 3 s: there are up to 28 cases. Still thousands of flushes each.
const timingOf = (options: RunOptions) =>
  options.quick ? { warmupMs: 200, measureMs: 300 } : { warmupMs: 1000, measureMs: 2000 };

interface Tables {
  readonly pgOrders: string;
  readonly pgOutbox: string;
  readonly myOrders: string;
  readonly myOutbox: string;
}

export const scenario: Scenario = {
  id: 'flush-adapters',

  async setUp({ pgNames, adminPool, mysql, options }) {
    const specs = selectAdapters(options.adapters);
    const pgOrders = pgNames.table('aorders');
    const pgOutbox = pgNames.table('aoutbox');
    await adminPool.query(
      `CREATE TABLE "${pgOrders}" (id uuid PRIMARY KEY, total integer NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
    );
    await new PgOutbox({ pool: adminPool, table: pgOutbox }).ensureSchema();
    // The same table names on MySQL: the prefix is unique to the run on both servers.
    const myOrders = pgOrders;
    const myOutbox = pgOutbox;
    if (specs.some((spec) => spec.database === 'mysql')) {
      mysql.table(myOrders);
      mysql.table(myOutbox);
      mysql.table(`${myOutbox}_token`);
      await mysql.pool.query(
        `CREATE TABLE \`${myOrders}\` (id char(36) PRIMARY KEY, total int NOT NULL, ` +
          'created_at timestamp(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)) ENGINE=InnoDB',
      );
      const { MysqlOutbox } = await tidingsEntry<typeof MysqlEntry>('mysql');
      await new MysqlOutbox({ pool: mysql.pool, table: myOutbox }).ensureSchema();
    }
    await generatePrismaClients(specs);
    const tables: Tables = { pgOrders, pgOutbox, myOrders, myOutbox };
    return { ...tables };
  },

  cases(setup, options) {
    const tables = setup as unknown as Tables;
    return selectAdapters(options.adapters).flatMap((spec) => [
      flushCase(spec, false),
      flushCase(spec, true),
    ]);

    function flushCase(spec: AdapterSpec, withOutbox: boolean): CaseSpec {
      return {
        label: label(spec, withOutbox),
        // Empty tables for every repetition, so that none works on a bigger table than another. Not
        // MySQL's `<outbox>_token`: its one row is the outbox's token counter.
        async before({ adminPool, mysql }) {
          if (spec.database === 'postgres') {
            await adminPool.query(`TRUNCATE "${tables.pgOrders}", "${tables.pgOutbox}"`);
          } else {
            await mysql.pool.query(`TRUNCATE TABLE \`${tables.myOrders}\``);
            await mysql.pool.query(`TRUNCATE TABLE \`${tables.myOutbox}\``);
          }
        },
        measure: () => measureAdapterFlushes(spec, tables, withOutbox, timingOf(options)),
      };
    }
  },

  result(rows: Row[], options: RunOptions, machine: MachineReport): ScenarioResult {
    const timing = timingOf(options);
    const specs = selectAdapters(options.adapters);
    return {
      id: 'flush-adapters',
      title:
        'Flush with and without the outbox, per adapter: BEGIN, one business INSERT through the adapter, ' +
        '1 event recorded, COMMIT, local dispatch; with the outbox, the event is written before COMMIT ' +
        'through the same adapter',
      notes: [
        `flushes one after another; each repetition in a fresh process that loads one adapter, fresh pool ` +
          `(max 4), empty tables: ${timing.warmupMs} ms warm-up then ${timing.measureMs} ms measured; cases interleaved`,
        'round trips = turnarounds on the database sockets (request written after a reply was read), ' +
          'counted flush by flush, whatever the driver',
        'overhead = ms per flush with the outbox minus without, same adapter (medians)',
      ],
      unit: 'flushes/s',
      per: 'flush',
      baseline: specs[0] === undefined ? '' : label(specs[0], false),
      rows,
      goals: [],
      machine,
      summary: summary(rows, specs),
    };
  },
};

/** In the child: flushes for warm-up + measure milliseconds, then checks that the work was done. */
async function measureAdapterFlushes(
  spec: AdapterSpec,
  tables: Tables,
  withOutbox: boolean,
  timing: { warmupMs: number; measureMs: number },
): Promise<Repetition> {
  const pg = spec.database === 'postgres';
  const orders = pg ? tables.pgOrders : tables.myOrders;
  const outboxTable = pg ? tables.pgOutbox : tables.myOutbox;
  const counter = new WireRoundTrips(databasePorts(), statementKind({ orders, outbox: outboxTable }));
  counter.install();
  const { unitOfWork, close } = await openAdapter(spec);
  try {
    const dispatcher = new EventDispatcher();
    const flusher = new Flusher({ dispatcher, unitOfWork });
    let dispatched = 0;
    dispatcher.on(OrderPlaced, () => void dispatched++);
    if (withOutbox) {
      const outbox = pg
        ? new PgOutbox({ unitOfWork, table: outboxTable, notifyChannel: outboxTable })
        : new (await tidingsEntry<typeof MysqlEntry>('mysql')).MysqlOutbox({
            unitOfWork,
            table: outboxTable,
          });
      const bridge = new Bridge({ dispatcher, transport: new MemoryTransport(), appId: 'bench' });
      bridge.forward(OrderPlaced, { routingKey: 'order.placed' });
      bridge.useOutbox(flusher, outbox);
    }
    const insertOrder = pg
      ? `INSERT INTO "${orders}" (id, total) VALUES ($1, $2)`
      : `INSERT INTO \`${orders}\` (id, total) VALUES (?, ?)`;
    let seq = 0;
    const flushOnce = async (): Promise<void> => {
      await flusher.transaction(async (tx) => {
        await unitOfWork.query(tx, insertOrder, [randomUUID(), seq]);
        const order = new Order();
        order.place(1, seq++);
        return [order];
      });
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

    // The work was done: every event dispatched, one order row per flush, and one outbox row per
    // flush with the outbox (none without).
    if (dispatched !== seq) throw new Error(`dispatched ${dispatched} events, expected ${seq}`);
    const count = async (table: string): Promise<number> => {
      const sql = pg ? `SELECT count(*) AS n FROM "${table}"` : `SELECT count(*) AS n FROM \`${table}\``;
      const result = await unitOfWork.transaction((tx) => unitOfWork.query<{ n: unknown }>(tx, sql));
      return Number(result.rows[0]?.n);
    };
    const [orderRows, outboxRows] = [await count(orders), await count(outboxTable)];
    if (orderRows !== seq) throw new Error(`${orderRows} order rows, expected ${seq}`);
    if (outboxRows !== (withOutbox ? seq : 0)) {
      throw new Error(`the outbox holds ${outboxRows} rows, expected ${withOutbox ? seq : 0}`);
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
    await close();
  }
}

/** One line per adapter: µs per flush without and with the outbox (medians), their ratio, round trips. */
function summary(rows: readonly Row[], specs: readonly AdapterSpec[]): string[] {
  const table: string[][] = [
    ['adapter', 'µs/flush no outbox', 'with outbox', 'ratio', '+µs', 'round trips no → with'],
  ];
  for (const spec of specs) {
    const without = rows.find((row) => row.label === label(spec, false));
    const withOutbox = rows.find((row) => row.label === label(spec, true));
    if (without === undefined || withOutbox === undefined) continue;
    if (without.values.length === 0 || withOutbox.values.length === 0) {
      table.push([adapterLabel(spec), 'FAILED', '', '', '', '']);
      continue;
    }
    const base = 1e6 / median(without.values);
    const outbox = 1e6 / median(withOutbox.values);
    table.push([
      adapterLabel(spec),
      base.toFixed(0),
      outbox.toFixed(0),
      `${(outbox / base).toFixed(2)}×`,
      `${outbox >= base ? '+' : ''}${(outbox - base).toFixed(0)}`,
      `${formatTrips(without)} → ${formatTrips(withOutbox)}`,
    ]);
  }
  return ['Per adapter, µs per flush (medians; ratio = with / without):', ...alignTable(table)];
}
