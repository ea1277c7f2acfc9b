import { EventEmitter } from 'node:events';
import type { ConfirmChannel } from 'amqplib';
import { expect, it, vi } from 'vitest';
import { ConnectionLostError, PublishNackedError } from '../../src/index.js';
import { ConfirmPublisher } from '../../src/adapters/rabbitmq/confirm-publisher.js';
import { retryNacked, StaleChannelPacer } from '../../src/adapters/rabbitmq/nack-failover.js';

/** A confirm channel whose confirms the test gives by hand. */
class FakeChannel extends EventEmitter {
  readonly confirms: ((error: unknown) => void)[] = [];
  closed = 0;
  publish(_e: string, _r: string, _c: Buffer, _o: unknown, callback: (error: unknown) => void): boolean {
    this.confirms.push(callback);
    return true;
  }
  async close(): Promise<void> {
    this.closed++;
  }
}

const message = { exchange: 'x', routingKey: 'x.y', content: Buffer.from('{}'), properties: {} };
const nack = () => new Error('message nacked');

it('a nack marks the channel stale (once) and closes it when its last publish settled', async () => {
  const channel = new FakeChannel();
  const onStale = vi.fn();
  const publisher = new ConfirmPublisher(channel as unknown as ConfirmChannel, () => {}, onStale);
  const first = publisher.publish(message, 'm1', 5000);
  const second = publisher.publish(message, 'm2', 5000);
  channel.confirms[0]!(nack());
  await expect(first).rejects.toBeInstanceOf(PublishNackedError);
  expect(publisher.stale).toBe(true);
  expect(channel.closed).toBe(0); // m2 is still in flight on it
  channel.confirms[1]!(null);
  await expect(second).resolves.toBeUndefined();
  expect(channel.closed).toBe(1);
  expect(onStale).toHaveBeenCalledTimes(1);
});

it('a confirm that never comes marks the channel stale too', async () => {
  const channel = new FakeChannel();
  const publisher = new ConfirmPublisher(channel as unknown as ConfirmChannel);
  await expect(publisher.publish(message, 'm1', 20)).rejects.toThrow(/m1/);
  expect(publisher.stale).toBe(true);
  expect(channel.closed).toBe(1);
});

it('retryNacked publishes a nacked message again until it is confirmed', async () => {
  const nacked = new PublishNackedError('x', 'x.y', 'm1');
  const again = vi
    .fn<(remainingMs: number) => Promise<void>>()
    .mockRejectedValueOnce(nacked)
    .mockResolvedValueOnce(undefined);
  const signal = new AbortController().signal;
  await retryNacked(Promise.reject(nacked), Date.now() + 5000, again, signal);
  expect(again).toHaveBeenCalledTimes(2);
  expect(again.mock.calls[0]![0]).toBeGreaterThan(4000);
});

it('retryNacked rejects with the last PublishNackedError when the deadline comes', async () => {
  const nacked = new PublishNackedError('x', 'x.y', 'm1');
  const again = vi.fn(() => Promise.reject(new PublishNackedError('x', 'x.y', 'm1')));
  const started = Date.now();
  const error = await retryNacked(
    Promise.reject(nacked),
    started + 300,
    again,
    new AbortController().signal,
  ).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(PublishNackedError);
  expect(Date.now() - started).toBeLessThan(400);
  expect(again.mock.calls.length).toBeGreaterThanOrEqual(2);
});

it('retryNacked passes other errors on at once, and stops retrying when the transport closes', async () => {
  const lost = new ConnectionLostError('gone');
  const again = vi.fn(() => Promise.resolve());
  const signal = new AbortController();
  await expect(retryNacked(Promise.reject(lost), Date.now() + 5000, again, signal.signal)).rejects.toBe(lost);
  signal.abort();
  const nacked = new PublishNackedError('x', 'x.y', 'm1');
  await expect(retryNacked(Promise.reject(nacked), Date.now() + 5000, again, signal.signal)).rejects.toBe(
    nacked,
  );
  expect(again).not.toHaveBeenCalled();
});

it('StaleChannelPacer: the first fresh channel opens at once, then the pauses grow up to 1 s', () => {
  const pacer = new StaleChannelPacer();
  expect(pacer.delayMs()).toBe(0);
  pacer.stale();
  expect(pacer.delayMs()).toBe(0);
  pacer.stale();
  expect(pacer.delayMs()).toBeGreaterThan(0);
  expect(pacer.delayMs()).toBeLessThanOrEqual(100);
  for (let i = 0; i < 10; i++) pacer.stale();
  expect(pacer.delayMs()).toBeGreaterThanOrEqual(500);
  expect(pacer.delayMs()).toBeLessThanOrEqual(1000);
  expect(pacer.total).toBe(12);
});
