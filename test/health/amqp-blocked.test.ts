// AmqpTransport's health and logger while the broker blocks the connection (a memory or disk alarm),
// over a scripted amqplib connection: a real broker cannot be made to block without disturbing others.
import { EventEmitter } from 'node:events';
import amqplib from 'amqplib';
import type { ChannelModel } from 'amqplib';
import { afterEach, expect, it, vi } from 'vitest';
import { AmqpTransport } from '../../src/rabbitmq.js';
import { recordingLogger } from './log-recorder.js';

/** An amqplib connection that only says 'blocked' and 'unblocked' when told. */
class FakeConnection extends EventEmitter {
  async close(): Promise<void> {}
}

const transports: AmqpTransport[] = [];
afterEach(async () => {
  await Promise.all(transports.splice(0).map((transport) => transport.close({ timeoutMs: 500 })));
  vi.restoreAllMocks();
});

it('is down while blocked, with the reason, and logs transport-blocked then transport-unblocked', async () => {
  const connection = new FakeConnection();
  vi.spyOn(amqplib, 'connect').mockResolvedValueOnce(connection as unknown as ChannelModel);
  const logger = recordingLogger();
  const transport = new AmqpTransport({ url: 'amqp://bob:s3cret-blocked@127.0.0.1:1', logger });
  transports.push(transport);
  await transport.connect();
  expect(transport.health()).toMatchObject({
    status: 'up',
    blocked: false,
    url: 'amqp://bob:***@127.0.0.1:1',
  });
  expect(transport.health()).not.toHaveProperty('blockedReason');

  connection.emit('blocked', 'low on memory');
  expect(transport.health()).toMatchObject({
    status: 'down',
    state: 'open',
    connected: true,
    blocked: true,
    blockedReason: 'low on memory',
  });
  connection.emit('unblocked');
  expect(transport.health()).toMatchObject({ status: 'up', blocked: false });

  expect(logger.codes()).toEqual(['transport-connected', 'transport-blocked', 'transport-unblocked']);
  expect(logger.entries[0]!.data).toMatchObject({ url: 'amqp://bob:***@127.0.0.1:1' });
  expect(logger.entries[1]).toMatchObject({
    level: 'warn',
    data: { code: 'transport-blocked', component: 'AmqpTransport', reason: 'low on memory' },
    message: 'The broker blocks publishing: low on memory',
  });
});
