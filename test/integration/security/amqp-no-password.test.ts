// A password in an AMQP URL never shows: not in any error (message, stack, cause chain, properties),
// not in any event of the transport, publisher or subscriber, not on the console, stdout, stderr or in
// a process warning — whichever way the connection fails.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConnectionFailedError, InvalidArgumentError, Publisher, Consumer } from '../../../src/index.js';
import { AmqpTransport, createTransport, type AmqpTransportOptions } from '../../../src/rabbitmq.js';
import { TcpProxy } from '../../helpers/tcp-proxy.js';
import { Cleanups, waitFor } from '../faults/fault-helpers.js';
import { AMQP_URL, hostPort } from '../servers.js';
import { addUser, freePort } from './rabbitmq-admin.js';
import { encoded, SECRET, SecretCapture } from './secret-capture.js';

const broker = hostPort(AMQP_URL, 5672);
/** Connection attempts that give up quickly: each test sees several attempts fail, not one. */
const FAST: AmqpTransportOptions = {
  maxConnectAttempts: 3,
  reconnect: { initialDelayMs: 10, maxDelayMs: 20 },
  publishTimeoutMs: 5000,
};

let capture: SecretCapture;
const cleanups = new Cleanups();

beforeEach(() => {
  capture = new SecretCapture().start();
});

afterEach(async () => {
  capture.stop();
  await cleanups.run();
});

/** A transport whose events are all recorded, closed after the test. */
function transport(url: string | string[], options: AmqpTransportOptions = {}): AmqpTransport {
  const created = new AmqpTransport({ url, ...FAST, ...options });
  capture.watch('transport', created);
  cleanups.add(() => created.close());
  return created;
}

/** Every way of using a transport that cannot connect, each recorded. */
async function useEveryWay(failing: AmqpTransport, label: string): Promise<unknown[]> {
  const id = `sec-${randomUUID().slice(0, 8)}`;
  const publisher = new Publisher(failing, { appId: id });
  const subscriber = new Consumer(failing, { appId: id, queue: `${id}.q`, bindingKeys: [`${id}.made`] });
  capture.watch('subscriber', subscriber);
  return [
    await capture.failure(`${label} connect()`, failing.connect()),
    await capture.failure(`${label} publish()`, () =>
      failing.publish({ exchange: '', routingKey: id, content: Buffer.from('x'), properties: {} }),
    ),
    await capture.failure(`${label} declare()`, () => failing.declare({ queues: [{ name: id }] })),
    await capture.failure(`${label} queueStats()`, () => failing.queueStats(id)),
    await capture.failure(`${label} get()`, () => failing.get(id)),
    await capture.failure(`${label} Publisher.send()`, () => publisher.send({ n: 1 }, `${id}.made`)),
    await capture.failure(`${label} Consumer.consume()`, () => subscriber.consume(() => {})),
  ];
}

function expectConnectionFailed(error: unknown, redactedUrl: string): void {
  expect(error).toBeInstanceOf(ConnectionFailedError);
  expect((error as ConnectionFailedError).url).toBe(redactedUrl);
  expect((error as Error).message).toContain(redactedUrl);
}

describe('the capture', () => {
  it('finds a password hidden anywhere it looks', () => {
    const hidden = [
      () =>
        capture.record('nested cause', new Error('a', { cause: { url: `amqp://u:${encoded(SECRET)}@h` } })),
      () => console.warn('connecting to', { password: SECRET }),
      () =>
        capture.record(
          'aggregate',
          new AggregateError([new Error('fine'), new Error(`pa55 … ${SECRET.slice(7, 15)}`)]),
        ),
      () => {
        const error = new Error('fine');
        Object.defineProperty(error, 'config', { value: { pw: SECRET }, enumerable: false });
        capture.record('hidden property', error);
      },
    ];
    for (const leak of hidden) {
      const probe = new SecretCapture().start();
      const saved = capture;
      capture = probe;
      try {
        leak();
      } finally {
        probe.stop();
        capture = saved;
      }
      expect(() => probe.assertNoSecret(SECRET)).toThrow(/a password .* leaked/);
    }
  });
});

describe('a password in an AMQP URL never shows', () => {
  it('(a) nothing listens on the port', async () => {
    const port = await freePort();
    const failing = transport(`amqp://guest:${encoded(SECRET)}@127.0.0.1:${port}`);
    const errors = await useEveryWay(failing, 'closed port');
    // Every call that needed the connection says so with the same typed error.
    for (const error of errors) expectConnectionFailed(error, `amqp://guest:***@127.0.0.1:${port}`);
    expect((errors[0] as Error).cause).toMatchObject({ code: 'ECONNREFUSED' });
    capture.assertNoSecret(SECRET);
  });

  it('(b) a proxy accepts and cuts every connection during the handshake', async () => {
    const proxy = await TcpProxy.start(broker.host, broker.port);
    cleanups.add(() => proxy.close());
    proxy.pause();
    const failing = transport(`amqp://guest:${encoded(SECRET)}@127.0.0.1:${proxy.port}`);
    const errors = await useEveryWay(failing, 'cut proxy');
    expectConnectionFailed(errors[0], `amqp://guest:***@127.0.0.1:${proxy.port}`);
    capture.assertNoSecret(SECRET);
  });

  it('(b) the connection is cut after it opened, reconnecting fails, then succeeds', async () => {
    const prefix = `sec-${randomUUID().slice(0, 8)}`;
    const user = `${prefix}-user`;
    cleanups.add(await addUser(user, SECRET, prefix));
    const proxy = await TcpProxy.start(broker.host, broker.port);
    cleanups.add(() => proxy.close());
    const url = `amqp://${user}:${encoded(SECRET)}@127.0.0.1:${proxy.port}`;
    const connection = transport(url, {
      maxConnectAttempts: 1,
      reconnect: { initialDelayMs: 20, maxDelayMs: 50 },
    });
    const queue = `${prefix}.q`;
    await connection.declare({
      exchanges: [{ name: prefix, type: 'topic' }],
      queues: [{ name: queue, durable: false }],
      bindings: [{ queue, exchange: prefix, pattern: '#' }],
    });
    cleanups.add(() => connection.deleteExchange(prefix));
    cleanups.add(() => connection.deleteQueue(queue));
    await connection.consume(queue, async (delivery) => void delivery.ack(), { prefetch: 1 });

    const reconnectErrors: Error[] = [];
    connection.on('error', (error) => reconnectErrors.push(error));
    proxy.pause(); // cuts the open connection and every reconnect
    await waitFor(() => reconnectErrors.length >= 2, 30_000, 'failed reconnects');
    await capture.failure('publish while down', () =>
      connection.publish(
        { exchange: prefix, routingKey: `${prefix}.made`, content: Buffer.from('x'), properties: {} },
        { timeoutMs: 200 },
      ),
    );
    proxy.resume();
    await waitFor(() => connection.connected, 30_000, 'the reconnect');
    await connection.publish({
      exchange: prefix,
      routingKey: `${prefix}.made`,
      content: Buffer.from('x'),
      properties: {},
    });

    expect(capture.count("transport 'disconnected' event")).toBeGreaterThanOrEqual(1);
    // Each failed reconnect is reported, typed, and reconnecting went on regardless.
    for (const error of reconnectErrors) {
      expectConnectionFailed(error, `amqp://${user}:***@127.0.0.1:${proxy.port}`);
    }
    expect(capture.text).toContain(`amqp://${user}:***@127.0.0.1:${proxy.port}`);
    capture.assertNoSecret(SECRET);
  });

  it('(c) the broker refuses the password (ACCESS_REFUSED)', async () => {
    const url = `amqp://guest:${encoded(SECRET)}@${broker.host}:${broker.port}`;
    const errors = await useEveryWay(transport(url), 'wrong password');
    expectConnectionFailed(errors[0], `amqp://guest:***@${broker.host}:${broker.port}`);
    expect((errors[0] as Error).message).toContain('ACCESS_REFUSED');
    expect((errors[0] as ConnectionFailedError).amqpCode).toBe(403);
    capture.assertNoSecret(SECRET);
  });

  it('(d) every URL of a failover list fails, each with a password of its own', async () => {
    const proxy = await TcpProxy.start(broker.host, broker.port);
    cleanups.add(() => proxy.close());
    proxy.pause();
    const secrets = [`${SECRET}one`, `${SECRET}two`, `${SECRET}three`];
    const urls = [
      `amqp://guest:${encoded(secrets[0]!)}@127.0.0.1:${await freePort()}`,
      `amqp://guest:${encoded(secrets[1]!)}@127.0.0.1:${proxy.port}`,
      `amqp://guest:${encoded(secrets[2]!)}@${broker.host}:${broker.port}`, // 403: stops the attempts
    ];
    const failing = transport(urls, { maxConnectAttempts: 6 });
    const error = await capture.failure('failover connect()', failing.connect());
    expectConnectionFailed(error, `amqp://guest:***@${broker.host}:${broker.port}`);
    // Also through createTransport and AMQP_URL, as a service would configure it.
    const fromEnv = createTransport({ amqp: FAST }, { MESSAGE_BROKER: 'rabbitmq', AMQP_URL: urls.join(',') });
    capture.watch('createTransport', fromEnv);
    cleanups.add(() => fromEnv.close());
    await capture.failure('createTransport connect()', fromEnv.connect());
    capture.assertNoSecret(...secrets);
  });

  it('(e) the URL is malformed', async () => {
    const raw = SECRET; // unencoded: its "/", "@", "#" and ":" break the URL
    const malformed = [
      `amqp://guest:${raw}@127.0.0.1:5672`,
      `guest:${raw}@127.0.0.1:5672`,
      `amqp:guest:${raw}@127.0.0.1`,
      `amqp://guest:${encoded(raw)}@`,
      `amqp://guest:${encoded(raw)}%zz@127.0.0.1`,
      `amqp://guest:${encoded(raw)}@127.0.0.1?frame_max=abc`,
      `http://guest:${encoded(raw)}@127.0.0.1`,
      `amqp://guest:${encoded(raw)}@127.0.0.1:5672/%zz`,
    ];
    for (const url of malformed) {
      const error = await capture.failure(
        `new AmqpTransport(${malformed.indexOf(url)})`,
        () => new AmqpTransport({ url }),
      );
      expect(error, url).toBeInstanceOf(InvalidArgumentError);
      const fromEnv = await capture.failure(`createTransport(${malformed.indexOf(url)})`, () =>
        createTransport({}, { MESSAGE_BROKER: 'rabbitmq', AMQP_URL: `amqp://127.0.0.1,${url}` }),
      );
      expect(fromEnv, url).toBeInstanceOf(InvalidArgumentError);
    }
    capture.assertNoSecret(SECRET);
  });
});
