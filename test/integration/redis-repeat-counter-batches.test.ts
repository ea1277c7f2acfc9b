// RedisRepeatCounter sends the calls of one turn of the event loop together: one script call for the
// increments, one DEL for the forgets (one key per command on a Cluster). Against the real Redis.
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { repeatCounterKey } from '../../src/messaging/names.js';
import { RedisRepeatCounter } from '../../src/adapters/redis/redis-repeat-counter.js';
import { RepeatCounterUnavailableError } from '../../src/errors/repeat-counter-unavailable-error.js';
import { REDIS_URL } from './servers.js';

const PREFIX = `tidings-test:batches:${process.pid}-${Date.now().toString(36)}:`;

let admin: Redis;
const cleanups: (() => Promise<unknown> | void)[] = [];

beforeAll(async () => {
  admin = new Redis(REDIS_URL, { lazyConnect: true });
  await admin.connect();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  const keys = await admin.keys(`${PREFIX}*`);
  if (keys.length > 0) await admin.del(...keys);
  await admin.quit();
});

/** A client of this test's own, with the commands it sends counted by name, and a counter on it. */
async function countedCounter(options: { cluster?: boolean; maxKeysPerCommand?: number } = {}) {
  const client = new Redis(REDIS_URL, { lazyConnect: true });
  await client.connect();
  // What RedisRepeatCounter reads to tell a Cluster: the rest of the client is a plain one.
  if (options.cluster === true) Object.defineProperty(client, 'isCluster', { value: true });
  const sent: string[] = [];
  const sendCommand = client.sendCommand.bind(client);
  vi.spyOn(client, 'sendCommand').mockImplementation((command, stream) => {
    sent.push(command.name);
    return sendCommand(command, stream);
  });
  const { maxKeysPerCommand } = options;
  const counter = new RedisRepeatCounter({
    redis: client,
    keyPrefix: PREFIX,
    ...(maxKeysPerCommand === undefined ? {} : { maxKeysPerCommand }),
  });
  cleanups.push(async () => {
    await counter.close();
    await client.quit();
  });
  // The script is loaded once (EVALSHA, then EVAL on NOSCRIPT): not counted below.
  await counter.increment('q', 'warm-up');
  sent.length = 0;
  const scriptCalls = () => sent.filter((name) => name === 'evalsha' || name === 'eval').length;
  const deletes = () => sent.filter((name) => name === 'del').length;
  return { counter, scriptCalls, deletes };
}

const key = (queue: string, id: string) => repeatCounterKey(PREFIX, queue, id);

describe('RedisRepeatCounter batches the calls of one turn', () => {
  it('counts 50 deliveries of one turn in one script call, each with its own count, and forgets them in one DEL', async () => {
    const { counter, scriptCalls, deletes } = await countedCounter();
    const ids = Array.from({ length: 50 }, (_, index) => `m-${index}`);
    await counter.increment('q', 'm-0'); // m-0 was delivered before: its count goes on
    expect(scriptCalls()).toBe(1);
    const counts = await Promise.all(ids.map((id) => counter.increment('q', id)));
    expect(counts).toEqual([2, ...Array.from({ length: 49 }, () => 1)]);
    expect(scriptCalls()).toBe(2);
    expect(Number(await admin.get(key('q', 'm-49')))).toBe(1);
    expect(await admin.pttl(key('q', 'm-49'))).toBeGreaterThan(0);

    await Promise.all(ids.map((id) => counter.forget('q', id)));
    expect(deletes()).toBe(1);
    expect(await admin.exists(...ids.map((id) => key('q', id)))).toBe(0);
  });

  it('counts a key that comes several times in one turn once per time, in order', async () => {
    const { counter, scriptCalls } = await countedCounter();
    const counts = await Promise.all([
      counter.increment('q', 'twice'),
      counter.increment('other', 'twice'),
      counter.increment('q', 'twice'),
    ]);
    expect(counts).toEqual([1, 1, 2]);
    expect(scriptCalls()).toBe(1);
  });

  it('a key Redis refuses fails alone: the others of the same call are counted, once', async () => {
    const { counter, scriptCalls } = await countedCounter();
    await admin.hset(key('q', 'm-hash'), 'field', 'value');
    const results = await Promise.allSettled([
      counter.increment('q', 'm-before'),
      counter.increment('q', 'm-hash'),
      counter.increment('q', 'm-after'),
    ]);
    expect(scriptCalls()).toBe(1);
    expect(results[0]).toEqual({ status: 'fulfilled', value: 1 });
    expect(results[2]).toEqual({ status: 'fulfilled', value: 1 });
    expect(results[1].status).toBe('rejected');
    const error = (results[1] as PromiseRejectedResult).reason as RepeatCounterUnavailableError;
    expect(error).toBeInstanceOf(RepeatCounterUnavailableError);
    expect(error).toMatchObject({ reason: 'failed', operation: 'increment' });
    expect(error.message).toContain(JSON.stringify(key('q', 'm-hash')));
    expect((error.cause as Error).message).toMatch(/WRONGTYPE/);
    expect(await admin.get(key('q', 'm-before'))).toBe('1');
    expect(await admin.get(key('q', 'm-after'))).toBe('1');
  });

  it('sends at most 200 keys per command: 450 increments of one turn are three calls, all counted', async () => {
    const { counter, scriptCalls } = await countedCounter();
    const counts = await Promise.all(
      Array.from({ length: 450 }, (_, index) => counter.increment('q', `many-${index}`)),
    );
    expect(counts).toEqual(Array.from({ length: 450 }, () => 1));
    expect(scriptCalls()).toBe(3);
  });

  it.each([
    { setup: 'a Redis Cluster client (a command may not span slots)', options: { cluster: true }, tag: 'c' },
    {
      setup: 'maxKeysPerCommand: 1 (a proxy that spreads keys over servers)',
      options: { maxKeysPerCommand: 1 },
      tag: 'p',
    },
  ])('with $setup each key goes alone', async ({ options, tag }) => {
    const { counter, scriptCalls, deletes } = await countedCounter(options);
    const ids = [`${tag}-1`, `${tag}-2`, `${tag}-3`];
    expect(await Promise.all(ids.map((id) => counter.increment('q', id)))).toEqual([1, 1, 1]);
    expect(scriptCalls()).toBe(3);
    await Promise.all(ids.map((id) => counter.forget('q', id)));
    expect(deletes()).toBe(3);
  });

  it('Redis runs the calls of one turn in the order they were made, increments and forgets mixed', async () => {
    const { counter } = await countedCounter();
    expect(await counter.increment('q', 'x')).toBe(1);
    // Batched by kind only, the DEL of y and x would be sent first (it was scheduled first), then the
    // INCR of x: x would be left at 2 instead of deleted.
    await Promise.all([counter.forget('q', 'y'), counter.increment('q', 'x'), counter.forget('q', 'x')]);
    expect(await admin.exists(key('q', 'x'))).toBe(0);
    await Promise.all([counter.increment('q', 'z'), counter.forget('q', 'z'), counter.increment('q', 'z')]);
    expect(await admin.get(key('q', 'z'))).toBe('1');
  });

  it('calls of one turn made before close() are settled as closed, none is left hanging', async () => {
    const { counter } = await countedCounter();
    const pending = [counter.increment('q', 'late-1'), counter.forget('q', 'late-2')];
    await counter.close();
    const results = await Promise.allSettled(pending);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toMatchObject({ reason: 'closed' });
    }
  });
});
