// Publish timeouts and a blocked connection (a broker memory or disk alarm), against scripted amqplib
// connections and confirm channels:
// - a confirm missing while the broker blocks the connection is the alarm's doing, not the channel's: it
//   must not mark the channel stale (which closed the channel and paced the next one: channel churn in
//   reliability scenario 11);
// - the errors of a publish that was nacked and published again name the publish's whole timeout, not
//   what was left of it for the retry ("within 37 ms").
import { EventEmitter } from 'node:events';
import amqplib from 'amqplib';
import type { ChannelModel, ConfirmChannel } from 'amqplib';
import { afterEach, expect, it, vi } from 'vitest';
import { ConnectionBlockedError, ConnectionLostError, PublishTimeoutError } from '../../src/index.js';
import { AmqpTransport } from '../../src/rabbitmq.js';
import { ConfirmPublisher } from '../../src/adapters/rabbitmq/confirm-publisher.js';

/** A confirm channel that hands each publish's confirm callback to `onPublish`. */
class FakeChannel extends EventEmitter {
  closed = 0;
  constructor(private readonly onPublish: (confirm: (error: unknown) => void) => void = () => {}) {
    super();
  }
  publish(_e: string, _r: string, _c: Buffer, _o: unknown, confirm: (error: unknown) => void): boolean {
    this.onPublish(confirm);
    return true;
  }
  async close(): Promise<void> {
    this.closed++;
  }
}

const message = { exchange: '', routingKey: 'q', content: Buffer.from('{}'), properties: {} };
const nack = () => new Error('message nacked');

it('a confirm missing while the connection is blocked does not mark the channel stale', async () => {
  const channel = new FakeChannel();
  const onStale = vi.fn();
  let blocked = true;
  const publisher = new ConfirmPublisher(
    channel as unknown as ConfirmChannel,
    () => {},
    onStale,
    () => blocked,
  );
  await expect(publisher.publish(message, 'm1', 20)).rejects.toBeInstanceOf(PublishTimeoutError);
  expect(publisher.stale).toBe(false);
  expect(onStale).not.toHaveBeenCalled();
  expect(channel.closed).toBe(0);

  // Once the alarm has cleared, a missing confirm marks the channel stale again.
  blocked = false;
  await expect(publisher.publish(message, 'm2', 20)).rejects.toBeInstanceOf(PublishTimeoutError);
  expect(publisher.stale).toBe(true);
  expect(onStale).toHaveBeenCalledTimes(1);
  expect(channel.closed).toBe(1);
});

it("a publish's timeout error names the whole timeout it was given, not what was left of it", async () => {
  const publisher = new ConfirmPublisher(new FakeChannel() as unknown as ConfirmChannel);
  const error = await publisher.publish(message, 'm1', 20, 5000).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(PublishTimeoutError);
  expect((error as PublishTimeoutError).timeoutMs).toBe(5000);
  expect((error as Error).message).toContain('within 5000 ms');
});

/** A scripted amqplib connection: its confirm channels are made by `channel`. */
class FakeConnection extends EventEmitter {
  constructor(readonly channel: (connection: FakeConnection) => FakeChannel) {
    super();
  }
  async createConfirmChannel(): Promise<FakeChannel> {
    return this.channel(this);
  }
  async close(): Promise<void> {}
}

const transports: AmqpTransport[] = [];
afterEach(async () => {
  await Promise.all(transports.splice(0).map((transport) => transport.close({ timeoutMs: 500 })));
  vi.restoreAllMocks();
});

/** A transport whose first connection is `first`; it cannot connect again. */
async function transportOver(first: FakeConnection): Promise<AmqpTransport> {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  vi.spyOn(amqplib, 'connect')
    .mockResolvedValueOnce(first as unknown as ChannelModel)
    .mockRejectedValue(refused);
  const transport = new AmqpTransport({ url: 'amqp://127.0.0.1:1', reconnect: { initialDelayMs: 20 } });
  transport.on('error', () => {});
  transports.push(transport);
  await transport.connect();
  return transport;
}

const TIMEOUT_MS = 1000;
const publishOnce = (transport: AmqpTransport) =>
  transport.publish({ ...message, properties: { messageId: 'm1' } }, { timeoutMs: TIMEOUT_MS });

it('nacked, then blocked: the ConnectionBlockedError names the whole publish timeout', async () => {
  // The broker nacks the publish and then blocks the connection: the retry waits for it to unblock.
  const connection = new FakeConnection(
    (self) =>
      new FakeChannel((confirm) =>
        setImmediate(() => {
          self.emit('blocked', 'low on memory');
          confirm(nack());
        }),
      ),
  );
  const transport = await transportOver(connection);
  const error = await publishOnce(transport).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ConnectionBlockedError);
  expect((error as ConnectionBlockedError).sent).toBe(false);
  expect((error as ConnectionBlockedError).timeoutMs).toBe(TIMEOUT_MS);
  expect((error as Error).message).toContain(`within ${TIMEOUT_MS} ms`);
});

it('nacked, then sent again and blocked before the confirm: named with the whole timeout too', async () => {
  // The first publish is nacked; the retry, on a fresh channel, is sent, then the broker blocks the
  // connection and no confirm comes. That channel is not marked stale for it: it stays open.
  const channels: FakeChannel[] = [];
  const connection = new FakeConnection((self) => {
    const channel = new FakeChannel((confirm) => {
      if (channels.length === 1) setImmediate(() => confirm(nack()));
      else self.emit('blocked', 'low on disk');
    });
    channels.push(channel);
    return channel;
  });
  const transport = await transportOver(connection);
  const error = await publishOnce(transport).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ConnectionBlockedError);
  expect((error as ConnectionBlockedError).sent).toBe(true);
  expect((error as ConnectionBlockedError).timeoutMs).toBe(TIMEOUT_MS);
  expect((error as Error).message).toContain(`within ${TIMEOUT_MS} ms`);
  expect(channels).toHaveLength(2);
  expect(channels[1]!.closed).toBe(0);
});

it('nacked, then the connection lost: the ConnectionLostError names the whole publish timeout', async () => {
  const connection = new FakeConnection(
    (self) =>
      new FakeChannel((confirm) =>
        setImmediate(() => {
          confirm(nack());
          self.emit('close', new Error('Unexpected close'));
        }),
      ),
  );
  const transport = await transportOver(connection);
  const error = await publishOnce(transport).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ConnectionLostError);
  expect((error as Error).message).toContain(`within ${TIMEOUT_MS} ms`);
});
