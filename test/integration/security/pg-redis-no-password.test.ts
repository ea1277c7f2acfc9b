// A password in a Redis or PostgreSQL URL never shows where tidings reports errors: the repeat counter
// (its errors, and the subscriber's warnings), the PostgreSQL outbox, unit of work and relay (their
// errors and events), and the `last_error` the relay stores for a row it could not publish.
import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  MemoryBroker,
  MemoryTransport,
  OutboxRelay,
  Publisher,
  RepeatCounterUnavailableError,
  Consumer,
} from '../../../src/index.js';
import { AmqpTransport } from '../../../src/rabbitmq.js';
import { RedisRepeatCounter } from '../../../src/redis.js';
import { PgOutbox, PgUnitOfWork } from '../../../src/postgres.js';
import { Cleanups, waitFor } from '../faults/fault-helpers.js';
import { createPool, dropOutbox, message, uniqueName } from '../outbox/pg-helpers.js';
import { DATABASE_URL, hostPort } from '../servers.js';
import { freePort } from './rabbitmq-admin.js';
import { encoded, SECRET, SecretCapture } from './secret-capture.js';

let capture: SecretCapture;
const cleanups = new Cleanups();

beforeEach(() => {
  capture = new SecretCapture().start();
});

afterEach(async () => {
  capture.stop();
  await cleanups.run();
});

describe('a password in a Redis URL never shows', () => {
  /** A server that answers every command as Redis does a wrong password. */
  async function wrongPassServer(): Promise<number> {
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('data', (data) => {
        const commands = data.toString('latin1').match(/(^|\r\n)\*\d+\r\n\$/g)?.length ?? 1;
        for (let i = 0; i < commands; i++) socket.write('-WRONGPASS invalid username-password pair\r\n');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.add(() => new Promise((resolve) => server.close(resolve)));
    cleanups.add(() => sockets.forEach((socket) => socket.destroy()));
    return (server.address() as AddressInfo).port;
  }

  it('nothing listens on the port; the server refuses the password; a subscriber warns about it', async () => {
    const urls = [
      `redis://:${encoded(SECRET)}@127.0.0.1:${await freePort()}`,
      `redis://default:${encoded(SECRET)}@127.0.0.1:${await wrongPassServer()}`,
      `redis://${encoded(SECRET)}@127.0.0.1:${await wrongPassServer()}`, // a password written as a user name
    ];
    for (const url of urls) {
      const counter = new RedisRepeatCounter({ url, timeoutMs: 1000 });
      cleanups.add(() => counter.close());
      const increment = await capture.failure(`increment ${urls.indexOf(url)}`, counter.increment('q', 'm'));
      expect(increment, url).toBeInstanceOf(RepeatCounterUnavailableError);
      expect((increment as Error).message).toContain('redis://***@');
      await capture.failure(`forget ${urls.indexOf(url)}`, counter.forget('q', 'm'));

      // The same counter behind a subscriber: the consumer carries on and warns.
      const transport = new MemoryTransport({ broker: new MemoryBroker() });
      cleanups.add(() => transport.close());
      const id = `sec-${randomUUID().slice(0, 8)}`;
      const subscriber = new Consumer(transport, {
        appId: id,
        queue: `${id}.q`,
        bindingKeys: [`${id}.made`],
        repeatCounter: counter,
        repeatCounterTimeoutMs: 1000,
      });
      capture.watch('subscriber', subscriber);
      cleanups.add(() => subscriber.close());
      let handled = false;
      await subscriber.consume(() => void (handled = true));
      const warnings = capture.count("subscriber 'warning' event");
      await new Publisher(transport, { appId: id }).send({ n: 1 }, `${id}.made`);
      await waitFor(
        () => handled && capture.count("subscriber 'warning' event") > warnings,
        10_000,
        'a warning',
      );
    }
    expect(capture.text).toContain('repeat-counter-unavailable');
    capture.assertNoSecret(SECRET);
  });
});

describe('a password in a PostgreSQL URL never shows', () => {
  const postgres = hostPort(DATABASE_URL, 5432);

  /** A pool the way a service builds it from DATABASE_URL. */
  function pool(url: string): pg.Pool {
    const created = new pg.Pool({ connectionString: url, connectionTimeoutMillis: 5000 });
    created.on('error', (error) => capture.record('pool error', error));
    cleanups.add(() => created.end());
    return created;
  }

  it('nothing listens on the port, or the server refuses the login', async () => {
    const urls = [
      `postgres://tidings:${encoded(SECRET)}@127.0.0.1:${await freePort()}/test`,
      `postgres://tidings_no_such_role_${randomUUID().slice(0, 8)}:${encoded(SECRET)}@${postgres.host}:${postgres.port}/test`,
    ];
    for (const url of urls) {
      const label = `pg ${urls.indexOf(url)}`;
      const failing = pool(url);
      const outbox = new PgOutbox({
        pool: failing,
        table: uniqueName(),
        onError: (error) => capture.record(`${label} onError`, error),
        watchReconnect: { initialDelayMs: 10, maxDelayMs: 20 },
      });
      const errors = [
        await capture.failure(`${label} ensureSchema()`, outbox.ensureSchema()),
        await capture.failure(`${label} stats()`, outbox.stats()),
        await capture.failure(`${label} claim()`, outbox.claim('me', 10, 1000)),
        await capture.failure(
          `${label} watch()`,
          outbox.watch(() => {}),
        ),
        await capture.failure(
          `${label} transaction()`,
          new PgUnitOfWork({ pool: failing }).transaction(async () => 1),
        ),
      ];
      expect(errors.every((error) => error instanceof Error)).toBe(true);

      const relay = new OutboxRelay({
        outbox,
        transport: new MemoryTransport({ broker: new MemoryBroker() }),
        pollIntervalMs: 10,
        retry: { initialDelayMs: 10, maxDelayMs: 20 },
      });
      capture.watch(`${label} relay`, relay);
      relay.start();
      await waitFor(() => capture.count(`${label} relay 'error' event`) >= 2, 20_000, 'relay errors');
      await relay.stop();
    }
    capture.assertNoSecret(SECRET);
  });

  it('a row the relay cannot publish keeps an error without the broker password', async () => {
    const table = uniqueName();
    const admin = createPool();
    cleanups.add(async () => {
      await dropOutbox(admin, table);
      await admin.end();
    });
    const outbox = new PgOutbox({ pool: admin, table });
    await outbox.ensureSchema();
    const client = await admin.connect();
    try {
      await outbox.add([message()], client);
    } finally {
      client.release();
    }
    const transport = new AmqpTransport({
      url: `amqp://guest:${encoded(SECRET)}@127.0.0.1:${await freePort()}`,
      maxConnectAttempts: 2,
      reconnect: { initialDelayMs: 10, maxDelayMs: 20 },
    });
    capture.watch('transport', transport);
    cleanups.add(() => transport.close());
    const relay = new OutboxRelay({ outbox, transport, retry: { initialDelayMs: 60_000 } });
    capture.watch('relay', relay);
    await capture.failure('relayOnce()', relay.relayOnce());

    const { rows } = await admin.query<{ last_error: string }>(`SELECT last_error FROM "${table}"`);
    capture.record('last_error column', rows);
    expect(capture.count("relay 'failed' event")).toBe(1);
    expect(rows[0]?.last_error).toContain('amqp://guest:***@127.0.0.1:');
    capture.assertNoSecret(SECRET);
  });
});
