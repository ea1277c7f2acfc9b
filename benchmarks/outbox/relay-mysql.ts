// 4. Relay throughput on MariaDB/MySQL against PostgreSQL, in one run: an OutboxRelay drains the same
// number of rows from a MysqlOutbox and from a PgOutbox to RabbitMQ with confirms, with the same batch
// size (the first of --batch-sizes) and otherwise its defaults. The rows are written beforehand as an
// application writes them (flushes through Bridge.useOutbox, 1000 events each: a MysqlUnitOfWork over a
// mysql2 pool, a PgUnitOfWork over a pg pool), and the relay's outbox is built over a pool, as an
// application's is. PostgreSQL wakes the relay with LISTEN/NOTIFY; MySQL has none, but a relay whose
// claim came back full claims again at once, so polling plays no part while it drains. The same
// messages published directly with `Publisher.send` (relay.ts's case) run in the same rounds: each
// relay ÷ direct is issue 15's goal on each database.
import mysql from 'mysql2/promise';
import type { ClaimedRow, Outbox } from '../../src/index.js';
import type * as MysqlEntry from '../../src/mysql.js';
import { mark, median, withTimeout, type Mark } from '../amqp/harness.js';
import { tidings, tidingsPostgres } from '../amqp/tidings.js';
import {
  DATABASE_LABEL,
  databasePorts,
  MYSQL_URL,
  statementKind,
  tidingsEntry,
  type Database,
} from './adapters.js';
import { Order, OrderPlaced } from './fixtures.js';
import {
  CpuMeter,
  createPool,
  type CaseSpec,
  type CpuSample,
  type MachineReport,
  type ParentContext,
  type RelayPhases,
  type Repetition,
  type Row,
  type RunOptions,
  type Scenario,
  type ScenarioResult,
} from './harness.js';
import { connectedTransport, directSendCase, SEND } from './direct-send.js';
import { fillOutbox, relayGoals } from './relay.js';
import { WireRoundTrips } from './wire.js';

const { Bridge, EventDispatcher, Flusher, MemoryTransport, OutboxRelay } = tidings;
const { PgOutbox } = tidingsPostgres;

const OUTBOX_CLASS = { postgres: 'PgOutbox', mysql: 'MysqlOutbox' } as const;
const label = (database: Database, batchSize: number) =>
  `${DATABASE_LABEL[database]}: OutboxRelay over ${OUTBOX_CLASS[database]}, batchSize ${batchSize}`;
const warmupOf = (options: RunOptions) => (options.quick ? 500 : 2000);
/** Rows per flush when filling the outbox, as relay.ts fills it. */
const FILL_CHUNK = 1000;

const mysqlOutbox = async () => (await tidingsEntry<typeof MysqlEntry>('mysql')).MysqlOutbox;

export const scenario: Scenario = {
  id: 'relay-mysql',

  async setUp({ names, pgNames, admin, adminPool, mysql: mysqlSide }) {
    const exchange = names.exchange;
    // Its own routing key: relay.ts's queue, bound to the same exchange, must not get these messages.
    const routingKey = `${exchange}.dbplaced`;
    const queue = names.queue('relaydb');
    await admin.exchange(exchange);
    await admin.queue(queue);
    await admin.bind(queue, exchange, routingKey);
    const table = pgNames.table('rdb_outbox');
    await new PgOutbox({ pool: adminPool, table }).ensureSchema();
    mysqlSide.table(table);
    mysqlSide.table(`${table}_token`);
    await new (await mysqlOutbox())({ pool: mysqlSide.pool, table }).ensureSchema();
    return { routingKey, queue, table };
  },

  cases(setup, options) {
    const { routingKey, queue, table } = setup as { routingKey: string; queue: string; table: string };
    const warmup = warmupOf(options);
    const total = warmup + options.rows;
    const batchSize = options.batchSizes[0]!;

    const relayCase = (database: Database): CaseSpec => ({
      label: label(database, batchSize),
      relay: true,
      async before({ adminPool, mysql: mysqlSide }) {
        if (database === 'postgres') await fillOutbox(adminPool, table, routingKey, total);
        else await fillMysqlOutbox(mysqlSide.pool, table, routingKey, total);
      },
      measure: () => measureDrain(database, table, batchSize, warmup, total),
      async after(context: ParentContext) {
        const unpublished =
          database === 'postgres'
            ? (
                await context.adminPool.query<{ n: number }>(
                  `SELECT count(*)::int AS n FROM "${table}" WHERE published_at IS NULL`,
                )
              ).rows[0]!.n
            : Number(
                (
                  (
                    await context.mysql.pool.query(
                      `SELECT count(*) AS n FROM \`${table}\` WHERE published_at IS NULL`,
                    )
                  )[0] as { n: unknown }[]
                )[0]?.n,
              );
        const count = await context.admin.messageCount(queue);
        await context.admin.purge(queue);
        if (unpublished !== 0) throw new Error(`${unpublished} rows left unpublished`);
        if (count !== total) throw new Error(`the queue holds ${count} messages, expected ${total}`);
      },
    });

    // Publishing the same messages directly, in the same run: the relay on each database ÷ this (issue 15).
    const direct = directSendCase(SEND, routingKey, {
      warmup,
      rows: options.rows,
      async after({ admin }) {
        const count = await admin.messageCount(queue);
        await admin.purge(queue);
        if (count !== total) throw new Error(`the queue holds ${count} messages, expected ${total}`);
      },
    });
    return [direct, relayCase('postgres'), relayCase('mysql')];
  },

  result(rows: Row[], options: RunOptions, machine: MachineReport): ScenarioResult {
    const batchSize = options.batchSizes[0]!;
    const pg = rows.find((row) => row.label === label('postgres', batchSize) && row.values.length > 0);
    const my = rows.find((row) => row.label === label('mysql', batchSize) && row.values.length > 0);
    return {
      id: 'relay-mysql',
      title:
        `Relay throughput, MariaDB/MySQL against PostgreSQL → RabbitMQ with confirms: ` +
        `${options.rows.toLocaleString('en-US')} messages (200-byte JSON, persistent, mandatory) per repetition, ` +
        'and publishing them directly',
      notes: [
        `each repetition in a fresh process, on fresh connections and pool; cases interleaved; the first ` +
          `${warmupOf(options).toLocaleString('en-US')} messages warm the process up and are not timed`,
        `rows written beforehand by flushes through Bridge.useOutbox (${FILL_CHUNK} events each, then ANALYZE); ` +
          'the clock runs from the mark of the warm-up rows to the mark of the last row',
        'round trips = turnarounds on the database sockets (wire.ts); every repetition checks the queue got ' +
          'exactly every message and no row is left unpublished',
      ],
      unit: 'msgs/s',
      per: 'msg',
      baseline: label('postgres', batchSize),
      ratioTo: 'PostgreSQL',
      rows,
      goals: relayGoals(rows, [label('postgres', batchSize), label('mysql', batchSize)]),
      machine,
      summary:
        pg === undefined || my === undefined
          ? []
          : [
              `MySQL/PostgreSQL: ${(median(my.values) / median(pg.values)).toFixed(2)}× ` +
                `(${Math.round(median(my.values)).toLocaleString('en-US')} vs ` +
                `${Math.round(median(pg.values)).toLocaleString('en-US')} msgs/s, medians, batchSize ${batchSize})`,
            ],
    };
  },
};

/** Empties the MySQL outbox and writes `total` rows as an application does: flushes via useOutbox. */
async function fillMysqlOutbox(
  pool: mysql.Pool,
  table: string,
  routingKey: string,
  total: number,
): Promise<void> {
  const { MysqlUnitOfWork } = await tidingsEntry<typeof MysqlEntry>('mysql');
  // Not `<table>_token`: its one row is the outbox's token counter.
  await pool.query(`TRUNCATE TABLE \`${table}\``);
  const unitOfWork = new MysqlUnitOfWork({ pool });
  const dispatcher = new EventDispatcher();
  const flusher = new Flusher({ dispatcher, unitOfWork });
  const bridge = new Bridge({ dispatcher, transport: new MemoryTransport(), appId: 'bench' });
  bridge.forward(OrderPlaced, { routingKey });
  bridge.useOutbox(flusher, new (await mysqlOutbox())({ unitOfWork, table }));
  for (let seq = 0; seq < total; seq += FILL_CHUNK) {
    const order = new Order();
    order.place(Math.min(FILL_CHUNK, total - seq), seq);
    await flusher.flush(order);
  }
  // As relay.ts does on PostgreSQL: statistics as a table in use would have them.
  await pool.query(`ANALYZE TABLE \`${table}\``);
}

/** Times the relay's claims and marks on the outbox instance; the time between them is the publishing. */
function timePhases(outbox: Outbox): RelayPhases {
  const phases: RelayPhases = { batches: 0, claimMs: 0, markMs: 0, publishMs: 0 };
  const claim = outbox.claim.bind(outbox);
  const markPublished = outbox.markPublished.bind(outbox);
  let claimed = 0;
  outbox.claim = async (owner, limit, leaseMs): Promise<ClaimedRow[]> => {
    const started = performance.now();
    const rows = await claim(owner, limit, leaseMs);
    claimed = performance.now();
    phases.claimMs += claimed - started;
    if (rows.length > 0) phases.batches++;
    return rows;
  };
  outbox.markPublished = async (owner, rows) => {
    const started = performance.now();
    phases.publishMs += started - claimed;
    const marked = await markPublished(owner, rows);
    phases.markMs += performance.now() - started;
    return marked;
  };
  return phases;
}

interface Snapshot {
  readonly at: Mark;
  readonly published: number;
  readonly kinds: Map<string, number>;
  readonly phases: RelayPhases;
}

/** In the child: one relay drains `total` rows; timed from the batch that completes the warm-up. */
async function measureDrain(
  database: Database,
  table: string,
  batchSize: number,
  warmup: number,
  total: number,
): Promise<Repetition> {
  const counter = new WireRoundTrips(databasePorts(), statementKind({ outbox: table }));
  counter.install();
  let outbox: Outbox;
  let closePool: () => Promise<void>;
  if (database === 'postgres') {
    const pool = createPool('bench-outbox-relay');
    // A relay uses two connections (LISTEN, and queries): both open before it starts.
    await Promise.all([pool.query('SELECT 1'), pool.query('SELECT 1')]);
    outbox = new PgOutbox({ pool, table, notifyChannel: table });
    closePool = () => pool.end();
  } else {
    const pool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 10 });
    await Promise.all([pool.query('SELECT 1'), pool.query('SELECT 1')]);
    outbox = new (await mysqlOutbox())({ pool, table });
    closePool = () => pool.end();
  }
  const transport = await connectedTransport('bench-outbox-relay-db');
  try {
    const phases = timePhases(outbox);
    const relay = new OutboxRelay({ outbox, transport, batchSize });
    const meter = new CpuMeter();
    let start: Snapshot | undefined;
    let end: Snapshot | undefined;
    let cpuSample: CpuSample | undefined;
    // Taken synchronously in the 'published' handler, before the relay goes on with its next claim.
    const snapshot = (published: number): Snapshot => ({
      at: mark(),
      published,
      kinds: new Map(counter.byKind),
      phases: { ...phases },
    });
    const timeoutMs = Math.max(60_000, total * 5);
    try {
      await withTimeout(
        new Promise<void>((resolve, reject) => {
          let published = 0;
          relay.on('published', ({ count }) => {
            published += count;
            if (start === undefined && published >= warmup) {
              start = snapshot(published);
              meter.begin();
            }
            if (end === undefined && published >= total) {
              end = snapshot(published);
              cpuSample = meter.end();
              resolve();
            }
          });
          relay.on('failed', ({ error }) => reject(error));
          relay.on('error', reject);
          relay.on('fenced', ({ ids }) => reject(new Error(`${ids.length} rows were fenced`)));
          relay.start();
        }),
        timeoutMs,
        () => `relay: not drained in ${timeoutMs} ms`,
      );
    } finally {
      await relay.stop();
    }
    const from = start!;
    const to = end!;
    const messages = to.published - from.published;
    const cpu = to.at.cpu.user - from.at.cpu.user + to.at.cpu.system - from.at.cpu.system;
    return {
      rate: (messages * 1000) / (to.at.time - from.at.time),
      cpuUs: cpu / messages,
      units: messages,
      kinds: [...to.kinds]
        .map(([kind, count]): [string, number] => [kind, count - (from.kinds.get(kind) ?? 0)])
        .filter(([, count]) => count > 0),
      phases: {
        batches: to.phases.batches - from.phases.batches,
        claimMs: to.phases.claimMs - from.phases.claimMs,
        markMs: to.phases.markMs - from.phases.markMs,
        publishMs: to.phases.publishMs - from.phases.publishMs,
      },
      ...(cpuSample === undefined ? {} : { cpuSample }),
    };
  } finally {
    await transport.close();
    await closePool();
  }
}
