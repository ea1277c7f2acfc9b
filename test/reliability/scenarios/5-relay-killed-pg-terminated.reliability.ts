// Scenario 5: business transactions write orders through the Flusher and the PostgreSQL outbox (one in
// ten rolls back on purpose) while relays in child processes drain the table: each relay is SIGKILLed at
// a random point, and every PostgreSQL connection of the relays and of the writer is terminated
// (pg_terminate_backend) at intervals. Each committed order must arrive; no rolled-back one may.
// A writer transaction whose connection is terminated has an unknown outcome (the COMMIT may or may not
// have happened), exactly the case the checker's "recovered" column is for.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach, expect, it } from 'vitest';
import {
  AggregateRoot,
  Bridge,
  EventDispatcher,
  Flusher,
  MemoryRepeatCounter,
  OutboxRelay,
  Consumer,
} from '../../../src/index.js';
import { AmqpTransport } from '../../../src/rabbitmq.js';
import { PgOutbox, PgUnitOfWork } from '../../../src/postgres.js';
import { deleteDeclared, subscriberNames } from '../../helpers/declared-names.js';
import { Cleanups, sleep, uniqueNames, waitFor } from '../../integration/faults/fault-helpers.js';
import { bundleRelayChild, rowStates } from '../../integration/outbox/faults/outbox-fault-helpers.js';
import { createPool, dropOutbox, uniqueName } from '../../integration/outbox/pg-helpers.js';
import { AMQP_URL, DATABASE_URL } from '../../integration/servers.js';
import { figuresFrom, reportFigures } from '../figures.js';
import { History, summarize } from '../history.js';
import { sized } from '../size.js';

const ORDERS = sized(10_000, 2_000);
const WRITERS = 8;
const ROLLBACK_EVERY = 10;
const RELAY_KILLS = sized(40, 12);
const TERMINATE_EVERY_MS = 700;
const BATCH_SIZE = 50;
const LEASE_MS = 1000;

class OrderPlaced {
  static eventName = 'order.placed';
  constructor(readonly orderId: string) {}
}
class Order extends AggregateRoot {
  constructor(readonly id: string) {
    super();
  }
  place() {
    this.recordEvent(new OrderPlaced(this.id));
  }
}
class RolledBackOnPurpose extends Error {}

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

interface RelayChild {
  readonly process: ChildProcessWithoutNullStreams;
  readonly started: Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly stderr: string[];
}

it(`${ORDERS} orders through the outbox while relays are SIGKILLed and PostgreSQL connections terminated`, async () => {
  const names = uniqueNames('rel5');
  const prefix = `rel5_${names.id.slice(-8)}`;
  const table = uniqueName('rel5_outbox');
  const routingKey = `${names.exchange}.placed`;
  const pool = createPool({ application_name: `${prefix}-writer`, max: WRITERS + 2 });
  pool.on('error', () => {}); // an idle client terminated: the pool replaces it
  const admin = createPool({ application_name: `${prefix}-admin`, max: 2 });
  cleanups.add(() => admin.end());
  cleanups.add(() => pool.end());
  const outbox = new PgOutbox({ pool, table });
  await outbox.ensureSchema();
  cleanups.add(() => dropOutbox(admin, table));
  await pool.query(`CREATE TABLE "${table}_orders" (id text PRIMARY KEY)`);
  cleanups.add(() => admin.query(`DROP TABLE IF EXISTS "${table}_orders"`));

  const transport = new AmqpTransport({ url: AMQP_URL, connectionName: `${names.id}-test` });
  cleanups.add(() => transport.close({ timeoutMs: 2000 }));
  // The consumer: every order id that reaches the handler.
  const history = new History();
  const options = { queue: names.queue, bindingKeys: [routingKey], appId: names.appId, repeatDelaysMs: [50] };
  cleanups.add(() => deleteDeclared(transport, subscriberNames(options)));
  const subscriber = new Consumer(transport, {
    ...options,
    prefetch: 200,
    repeatCounter: new MemoryRepeatCounter(),
  });
  cleanups.add(() => subscriber.close());
  await subscriber.consume(({ payload }) => history.receive((payload as { orderId: string }).orderId));

  // The writer: the application's own code path, Flusher + PgUnitOfWork + Bridge.useOutbox.
  const dispatcher = new EventDispatcher();
  const flusher = new Flusher({ dispatcher, unitOfWork: new PgUnitOfWork({ pool }) });
  new Bridge({ dispatcher, transport, appId: names.appId })
    .forward(OrderPlaced, { routingKey })
    .useOutbox(flusher, outbox);
  const writerErrors = new Map<string, number>();
  let nextOrder = 0;
  const writer = async () => {
    while (nextOrder < ORDERS) {
      const index = nextOrder++;
      const orderId = `${names.id}-o${index}`;
      history.attempt(orderId);
      try {
        await flusher.transaction(async (client) => {
          await client.query(`INSERT INTO "${table}_orders" (id) VALUES ($1)`, [orderId]);
          const order = new Order(orderId);
          order.place();
          if (index % ROLLBACK_EVERY === 0) throw new RolledBackOnPurpose();
          return [order];
        });
        history.settle(orderId, 'ok');
      } catch (error) {
        if (error instanceof RolledBackOnPurpose) history.settle(orderId, 'failed');
        else {
          // A terminated connection: the outcome of the COMMIT is unknown to the writer.
          history.settle(orderId, 'unknown');
          const key = error instanceof Error ? error.message.slice(0, 60) : String(error);
          writerErrors.set(key, (writerErrors.get(key) ?? 0) + 1);
        }
      }
    }
  };
  const writers = Promise.all(Array.from({ length: WRITERS }, writer));

  // Relays in child processes, each SIGKILLed after a random life of 50–600 ms.
  const bundle = await bundleRelayChild();
  cleanups.add(() => bundle.dispose());
  const spawnRelay = (): RelayChild => {
    const child = spawn(process.execPath, [bundle.file], {
      env: {
        ...process.env,
        RELAY_TABLE: table,
        RELAY_DATABASE_URL: DATABASE_URL,
        RELAY_AMQP_URL: AMQP_URL,
        RELAY_LEASE_MS: String(LEASE_MS),
        RELAY_BATCH_SIZE: String(BATCH_SIZE),
        RELAY_EXCHANGE: names.exchange,
        RELAY_APPLICATION_NAME: `${prefix}-relay`,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin.on('error', () => {});
    const stderr: string[] = [];
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const started = new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => line === 'started' && resolve());
      void exited.then(({ code, signal }) =>
        reject(new Error(`relay exited early (${code ?? signal}): ${stderr.join('')}`)),
      );
    });
    started.catch(() => {});
    cleanups.add(() => child.kill('SIGKILL'));
    return { process: child, started, exited, stderr };
  };

  // PostgreSQL connections of the relays and the writer terminated every TERMINATE_EVERY_MS.
  let terminations = 0;
  let terminatedBackends = 0;
  let terminating = true;
  const terminator = (async () => {
    while (terminating) {
      await sleep(TERMINATE_EVERY_MS);
      const { rows } = await admin.query<{ n: number }>(
        `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
          WHERE application_name LIKE $1 AND application_name NOT LIKE $2 AND pid <> pg_backend_pid()`,
        [`${prefix}-%`, `${prefix}-admin%`],
      );
      terminations++;
      terminatedBackends += rows[0]!.n;
    }
  })();

  let kills = 0;
  const unexpectedExits: string[] = [];
  while (kills < RELAY_KILLS) {
    const child = spawnRelay();
    await child.started;
    await sleep(50 + Math.floor(Math.random() * 551));
    child.process.kill('SIGKILL');
    const { signal, code } = await child.exited;
    if (signal !== 'SIGKILL') unexpectedExits.push(`${code ?? signal}: ${child.stderr.join('')}`);
    kills++;
  }
  await writers;
  terminating = false;
  await terminator;
  const afterFaults = await rowStates(admin, table);

  // Faults over: one relay publishes what is left (after the killed relays' leases expire).
  const faultsEndedAt = Date.now();
  const relay = new OutboxRelay({
    outbox,
    transport,
    batchSize: BATCH_SIZE,
    leaseMs: LEASE_MS,
    pollIntervalMs: 50,
  });
  const relayErrors: Error[] = [];
  relay.on('error', (error) => relayErrors.push(error));
  relay.start();
  cleanups.add(() => relay.stop());
  await waitFor(async () => (await rowStates(admin, table)).unpublished === 0, 60_000, 'every row published');
  const drainedMs = Date.now() - faultsEndedAt;
  await waitFor(() => history.allOkReceived, 30_000, 'every committed order to arrive');
  await sleep(500);
  await relay.stop();

  const result = history.check();
  // The database says which transactions committed, those of unknown outcome included: each committed
  // order must have arrived, and nothing else.
  const { rows: committedRows } = await admin.query<{ id: string }>(`SELECT id FROM "${table}_orders"`);
  const committed = new Set(committedRows.map((row) => row.id));
  const committedNotReceived = [...committed].filter((id) => history.receivedCount(id) === 0);
  const receivedNotCommitted = history.receivedIds.filter((id) => !committed.has(id));
  reportFigures({
    scenario: '5-relay-killed-pg-terminated',
    size:
      `${ORDERS} orders (1 in ${ROLLBACK_EVERY} rolled back); ${kills} relay SIGKILLs; ` +
      `PostgreSQL connections terminated every ${TERMINATE_EVERY_MS} ms`,
    ...figuresFrom(result),
    notes:
      `${terminatedBackends} backends terminated in ${terminations} rounds; ${afterFaults.unpublished} rows ` +
      `left for the last relay, drained in ${drainedMs} ms; writer unknown ${result.unknown}`,
  });
  console.info(
    `[reliability 5] ${summarize(result)}; writer errors ${JSON.stringify(Object.fromEntries(writerErrors))}`,
  );

  expect(unexpectedExits).toEqual([]);
  expect(result.lost).toEqual([]);
  expect(result.phantom).toEqual([]);
  // Whatever the writer was told: an order whose transaction committed was published, no other was.
  expect(committedNotReceived).toEqual([]);
  expect(receivedNotCommitted).toEqual([]);
  expect(afterFaults.total).toBe(committed.size);
  // A relay marks one batch while it publishes the next: each kill (or connection lost) can leave two
  // batches published and unmarked.
  expect(result.duplicateCopies).toBeLessThanOrEqual((kills + terminatedBackends) * 2 * BATCH_SIZE);
  expect(kills).toBe(RELAY_KILLS);
  expect(terminatedBackends).toBeGreaterThan(0);
  expect(relayErrors).toEqual([]);
});
