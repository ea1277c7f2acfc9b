// Connection errors that tell the truth, against the real RabbitMQ: a vhost or credentials the broker
// refuses fail at once (one attempt, through a proxy that counts them) with the AMQP code and the vhost
// or user named — never the password; a broker that cannot be reached fails after maxConnectAttempts
// with the count and the time spent in the message and as fields.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionFailedError, type Transport } from '../../src/index.js';
import { AmqpTransport, createTransport } from '../../src/rabbitmq.js';
import { Cleanups, proxyTo } from './faults/fault-helpers.js';
import { freePort } from './security/rabbitmq-admin.js';
import { AMQP_URL } from './servers.js';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

const user = decodeURIComponent(new URL(AMQP_URL).username) || 'guest';

/** What connect() rejected with, and how long it took. */
async function failedConnect(transport: Transport): Promise<{ error: ConnectionFailedError; ms: number }> {
  cleanups.add(() => transport.close());
  const started = Date.now();
  const error = await transport.connect().then(
    () => expect.fail('connected'),
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(ConnectionFailedError);
  return { error: error as ConnectionFailedError, ms: Date.now() - started };
}

/** The broker's URL through a proxy that counts connection attempts, with another vhost or password. */
async function viaProxy(change: (url: URL) => void): Promise<{ url: string; attempts: () => number }> {
  const { proxy, url } = await proxyTo(AMQP_URL, 5672);
  cleanups.add(() => proxy.close());
  const changed = new URL(url);
  change(changed);
  return { url: changed.toString(), attempts: () => proxy.accepted };
}

describe('connection errors', () => {
  it('an unknown vhost fails at once with 530, naming the vhost and the user', async () => {
    const vhost = `tidings-missing-${randomUUID().slice(0, 8)}`;
    const target = await viaProxy((url) => void (url.pathname = `/${vhost}`));
    // Default retry settings: only the answer of the broker makes it stop after one attempt.
    const { error, ms } = await failedConnect(new AmqpTransport({ url: target.url }));
    expect(error.amqpCode).toBe(530);
    expect(error.message).toContain(
      `: vhost "${vhost}" not found or not permitted for user "${user}" (AMQP 530 NOT_ALLOWED)`,
    );
    expect(error.message).toMatch(
      /^Cannot connect to amqp:\/\/[^:]+:\*\*\*@127\.0\.0\.1:\d+\/tidings-missing-/,
    );
    expect(error.url).toContain(':***@');
    expect(error.attempts).toBe(1);
    expect(target.attempts()).toBe(1);
    expect(ms).toBeLessThan(3000);
  });

  it('AMQP_URL alone selects RabbitMQ, and an unknown vhost there fails the same way', async () => {
    const vhost = `tidings-missing-${randomUUID().slice(0, 8)}`;
    const url = new URL(AMQP_URL);
    url.pathname = `/${vhost}`;
    const { error } = await failedConnect(createTransport({}, { AMQP_URL: url.toString() }));
    expect(error.amqpCode).toBe(530);
    expect(error.message).toContain(`vhost "${vhost}"`);
  });

  it('a wrong password fails at once with 403, naming the user and never the password', async () => {
    const password = `wrong-${randomUUID()}`;
    const target = await viaProxy((url) => void (url.password = password));
    const { error, ms } = await failedConnect(new AmqpTransport({ url: target.url }));
    expect(error.amqpCode).toBe(403);
    expect(error.message).toContain(`: login refused for user "${user}"`);
    expect(error.message).toContain('(AMQP 403 ACCESS_REFUSED)');
    expect(target.attempts()).toBe(1);
    expect(ms).toBeLessThan(3000);
    for (const text of [error.message, error.url, String(error.stack), JSON.stringify(error)]) {
      expect(text).not.toContain(password);
    }
    expect(String((error.cause as Error).stack)).not.toContain(password);
  });

  it('a closed port is retried maxConnectAttempts times, then says how many over how long', async () => {
    const port = await freePort();
    const { error, ms } = await failedConnect(
      new AmqpTransport({
        url: `amqp://app:s3cret-pw@127.0.0.1:${port}`,
        maxConnectAttempts: 4,
        reconnect: { initialDelayMs: 50, maxDelayMs: 100, jitter: 0 },
      }),
    );
    expect(error.message).toMatch(
      new RegExp(
        `^Cannot connect to amqp://app:\\*\\*\\*@127\\.0\\.0\\.1:${port}: connection refused ` +
          `\\(ECONNREFUSED\\) after 4 attempts over \\d+\\.\\d s$`,
      ),
    );
    expect(error.amqpCode).toBeUndefined();
    expect(error.attempts).toBe(4);
    // Three waits of 50, 100 and 100 ms between the four attempts.
    expect(error.elapsedMs).toBeGreaterThanOrEqual(250);
    expect(error.elapsedMs).toBeLessThanOrEqual(ms);
    expect(error.cause).toMatchObject({ code: 'ECONNREFUSED' });
  });
});
