// AmqpTransport over amqps:// to the local RabbitMQ, with a certificate made for the test: a CA and a
// server certificate from openssl, served by TLS listeners started in the running broker (see
// tls-listener.ts). Publishing and consuming over TLS, client certificates, and the refusals: a
// certificate that cannot be verified or names another host fails at once, with a typed error.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionFailedError, type Delivery } from '../../../src/index.js';
import { AmqpTransport, type AmqpTransportOptions } from '../../../src/rabbitmq.js';
import { runExample } from '../../helpers/run-example.js';
import { TcpProxy } from '../../helpers/tcp-proxy.js';
import { Cleanups, waitFor } from '../faults/fault-helpers.js';
import { encoded, SECRET, SecretCapture } from './secret-capture.js';
import { makeCertificates, startTlsListener, type TlsListener, type TlsMaterial } from './tls-listener.js';

let material: TlsMaterial;
/** Server authentication only. */
let tls: TlsListener;
/** Mutual: the client must present a certificate of the CA. */
let mutualTls: TlsListener;
const cleanups = new Cleanups();

beforeAll(async () => {
  material = await makeCertificates();
  tls = await startTlsListener(material, { requireClientCertificate: false });
  mutualTls = await startTlsListener(material, { requireClientCertificate: true });
});

afterAll(async () => {
  await tls?.stop();
  await mutualTls?.stop();
  await material?.remove();
});

afterEach(() => cleanups.run());

function transport(options: AmqpTransportOptions): AmqpTransport {
  const created = new AmqpTransport({ maxConnectAttempts: 1, ...options });
  cleanups.add(() => created.close());
  return created;
}

/** Declares a queue of its own, consumes it, publishes one message and waits for it. */
async function roundTrip(connection: AmqpTransport): Promise<Delivery> {
  const exchange = `tls-${randomUUID().slice(0, 8)}`;
  const queue = `${exchange}.q`;
  await connection.declare({
    exchanges: [{ name: exchange, type: 'topic' }],
    queues: [{ name: queue, durable: false }],
    bindings: [{ queue, exchange, pattern: '#' }],
  });
  cleanups.add(async () => {
    await connection.deleteQueue(queue);
    await connection.deleteExchange(exchange);
  });
  const received: Delivery[] = [];
  await connection.consume(
    queue,
    async (delivery) => {
      received.push(delivery);
      delivery.ack();
    },
    { prefetch: 1 },
  );
  await connection.publish({
    exchange,
    routingKey: `${exchange}.made`,
    content: Buffer.from('over TLS'),
    properties: { messageId: 'm-1' },
  });
  return waitFor(() => received[0], 10_000, 'the message to come back');
}

describe('AmqpTransport over TLS', () => {
  it('publishes and consumes over amqps:// with the CA as tls.ca', async () => {
    const connection = transport({
      url: `amqps://guest:guest@localhost:${tls.port}`,
      tls: { ca: material.ca },
    });
    const connected: string[] = [];
    connection.on('connected', ({ url }) => connected.push(url));
    const delivery = await roundTrip(connection);
    expect(delivery.content.toString()).toBe('over TLS');
    expect(connected).toEqual([`amqps://guest:***@localhost:${tls.port}`]);
  });

  it('presents a client certificate (tls.cert, tls.key) to a listener that requires one', async () => {
    const url = `amqps://guest:guest@localhost:${mutualTls.port}`;
    const withCertificate = transport({
      url,
      tls: { ca: material.ca, cert: material.clientCert, key: material.clientKey },
    });
    expect((await roundTrip(withCertificate)).content.toString()).toBe('over TLS');

    const without = transport({ url, tls: { ca: material.ca } });
    const error = await without.connect().catch((rejection: unknown) => rejection);
    expect(error).toBeInstanceOf(ConnectionFailedError);
    expect((error as Error).message).toContain(
      `Cannot connect to amqps://guest:***@localhost:${mutualTls.port}`,
    );
  });

  it('refuses a certificate it cannot verify: at once, typed, without the password', async () => {
    // Through a proxy that counts the attempts: verification failing again cannot be worth retrying.
    const proxy = await TcpProxy.start('127.0.0.1', tls.port);
    cleanups.add(() => proxy.close());
    const capture = new SecretCapture().start();
    try {
      const connection = transport({
        url: `amqps://guest:${encoded(SECRET)}@localhost:${proxy.port}`,
        maxConnectAttempts: 5,
        reconnect: { initialDelayMs: 10, maxDelayMs: 10 },
      });
      capture.watch('transport', connection);
      const error = await capture.failure('connect() without the CA', connection.connect());
      expect(error).toBeInstanceOf(ConnectionFailedError);
      const failure = error as ConnectionFailedError;
      expect(failure.code).toBe('ERR_TIDINGS_CONNECTION_FAILED');
      expect(failure.certificateRejected).toBe(true);
      expect(failure.message).toMatch(
        /TLS certificate failed verification \(unable to verify the first certificate/,
      );
      expect(failure.message).toContain('give the CA that signed it as tls.ca');
      expect(failure.cause).toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
      expect(failure.url).toBe(`amqps://guest:***@localhost:${proxy.port}`);
      expect(proxy.accepted).toBe(1);
      capture.assertNoSecret(SECRET);
    } finally {
      capture.stop();
    }
  });

  it('refuses a certificate that names another host, and says to use tls.servername', async () => {
    const connection = transport({
      url: `amqps://guest:guest@localhost:${tls.port}`,
      tls: { ca: material.ca, servername: 'broker.example.com' },
      maxConnectAttempts: 5,
    });
    const error = (await connection
      .connect()
      .catch((rejection: unknown) => rejection)) as ConnectionFailedError;
    expect(error).toBeInstanceOf(ConnectionFailedError);
    expect(error.certificateRejected).toBe(true);
    expect(error.cause).toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    expect(error.message).toContain('give that name as tls.servername');
  });

  it('examples/tls.ts runs as documented, with a client certificate', async () => {
    const { stdout } = await runExample('tls.ts', {
      AMQPS_URL: `amqps://guest:guest@localhost:${mutualTls.port}`,
      TLS_DIR: material.dir,
    });
    expect(stdout).toBe('received "over TLS"\n');
  });

  it('the TLS port refuses plain AMQP: the round trips above went over TLS', async () => {
    const plain = transport({ url: `amqp://guest:guest@localhost:${tls.port}`, connectTimeoutMs: 5000 });
    expect(await plain.connect().catch((rejection: unknown) => rejection)).toBeInstanceOf(
      ConnectionFailedError,
    );
  });
});
