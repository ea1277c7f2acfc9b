import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryRepeatCounter } from '../../../src/messaging/repeat/memory-repeat-counter.js';
import { DEFAULT_REPEAT_TTL_MS } from '../../../src/messaging/defaults.js';
import { InvalidArgumentError } from '../../../src/errors/invalid-argument-error.js';
import { RepeatCounterUnavailableError } from '../../../src/errors/repeat-counter-unavailable-error.js';

describe('MemoryRepeatCounter', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('counts deliveries per queue and message id, starting at 1', async () => {
    const counter = new MemoryRepeatCounter();
    expect(await counter.increment('billing.orders', 'm-1')).toBe(1);
    expect(await counter.increment('billing.orders', 'm-1')).toBe(2);
    expect(await counter.increment('billing.orders', 'm-1')).toBe(3);
    expect(await counter.increment('billing.orders', 'm-2')).toBe(1);
  });

  it('counts the same message independently on each queue', async () => {
    const counter = new MemoryRepeatCounter();
    await counter.increment('billing.orders', 'm-1');
    await counter.increment('billing.orders', 'm-1');
    expect(await counter.increment('shipping.orders', 'm-1')).toBe(1);
    expect(await counter.increment('billing.orders', 'm-1')).toBe(3);
  });

  it('forget() starts the message over; forgetting an unknown message is fine', async () => {
    const counter = new MemoryRepeatCounter();
    await counter.increment('q', 'm');
    await counter.increment('q', 'm');
    await counter.forget('q', 'm');
    expect(counter.size).toBe(0);
    expect(await counter.increment('q', 'm')).toBe(1);
    await expect(counter.forget('q', 'never-seen')).resolves.toBeUndefined();
  });

  it('forgets a message ttlMs after its last delivery, and each delivery restarts the TTL', async () => {
    const counter = new MemoryRepeatCounter({ ttlMs: 1000 });
    await counter.increment('q', 'm');
    vi.advanceTimersByTime(900);
    expect(await counter.increment('q', 'm')).toBe(2); // restarts the TTL
    vi.advanceTimersByTime(900);
    expect(await counter.increment('q', 'm')).toBe(3);
    vi.advanceTimersByTime(1000);
    expect(await counter.increment('q', 'm')).toBe(1);
  });

  it('defaults to a 24 hour TTL', async () => {
    const counter = new MemoryRepeatCounter();
    await counter.increment('q', 'm');
    vi.advanceTimersByTime(DEFAULT_REPEAT_TTL_MS - 1);
    expect(await counter.increment('q', 'm')).toBe(2);
    vi.advanceTimersByTime(DEFAULT_REPEAT_TTL_MS);
    expect(await counter.increment('q', 'm')).toBe(1);
  });

  it('sweeps expired messages on later increments, so memory does not grow without bound', async () => {
    const counter = new MemoryRepeatCounter({ ttlMs: 1000 });
    for (let i = 0; i < 500; i++) await counter.increment('q', `old-${i}`);
    expect(counter.size).toBe(500);
    vi.advanceTimersByTime(1000);
    await counter.increment('q', 'new');
    expect(counter.size).toBe(1);
  });

  it('does not sweep a message that was delivered again recently', async () => {
    const counter = new MemoryRepeatCounter({ ttlMs: 1000 });
    await counter.increment('q', 'a');
    await counter.increment('q', 'b');
    vi.advanceTimersByTime(600);
    await counter.increment('q', 'a'); // a moves behind b
    vi.advanceTimersByTime(600);
    await counter.increment('q', 'c'); // b expired, a has not
    expect(counter.size).toBe(2);
    expect(await counter.increment('q', 'a')).toBe(3);
  });

  it('sweeps each message when it expires, also after the one due first was forgotten', async () => {
    const counter = new MemoryRepeatCounter({ ttlMs: 1000 });
    await counter.increment('q', 'a');
    vi.advanceTimersByTime(400);
    await counter.increment('q', 'b'); // expires at 1400
    await counter.forget('q', 'a');
    vi.advanceTimersByTime(700); // 1100: past a's expiry, before b's
    await counter.increment('q', 'c');
    expect(counter.size).toBe(2);
    vi.advanceTimersByTime(300); // 1400: b expired
    await counter.increment('q', 'd');
    expect(counter.size).toBe(2); // c and d
    expect(await counter.increment('q', 'b')).toBe(1);
  });

  it('drops the least recently delivered message beyond maxKeys', async () => {
    const counter = new MemoryRepeatCounter({ maxKeys: 2 });
    await counter.increment('q', 'a');
    await counter.increment('q', 'b');
    await counter.increment('q', 'a'); // b is now the least recent
    await counter.increment('q', 'c');
    expect(counter.size).toBe(2);
    expect(await counter.increment('q', 'a')).toBe(3);
    expect(await counter.increment('q', 'b')).toBe(1);
  });

  it('drops the least recently delivered message of all queues beyond maxKeys, also within a millisecond', async () => {
    // The fake clock stands still: every message expires at the same time, recency alone decides.
    const counter = new MemoryRepeatCounter({ maxKeys: 3 });
    await counter.increment('billing', 'a');
    await counter.increment('shipping', 'b');
    await counter.increment('billing', 'c');
    await counter.increment('billing', 'a'); // b is now the least recent, alone on its queue
    await counter.increment('audit', 'd'); // a fourth message: b goes
    expect(counter.size).toBe(3);
    expect(await counter.increment('shipping', 'b')).toBe(1); // counted afresh; c is now the least recent
    expect(await counter.increment('billing', 'a')).toBe(3);
    expect(await counter.increment('audit', 'd')).toBe(2);
    expect(await counter.increment('billing', 'c')).toBe(1);
    expect(counter.size).toBe(3);
  });

  it('sweeps expired messages of every queue, and counts the ones left on each', async () => {
    const counter = new MemoryRepeatCounter({ ttlMs: 1000 });
    await counter.increment('billing', 'old');
    await counter.increment('shipping', 'old');
    vi.advanceTimersByTime(500);
    await counter.increment('shipping', 'young');
    await counter.increment('shipping', 'young');
    vi.advanceTimersByTime(500); // both `old` expired, `young` has not
    await counter.increment('audit', 'new');
    expect(counter.size).toBe(2);
    expect(await counter.increment('shipping', 'young')).toBe(3);
    expect(await counter.increment('billing', 'old')).toBe(1);
    expect(await counter.increment('shipping', 'old')).toBe(1);
  });

  it('starts no timers: nothing keeps the process alive', async () => {
    const counter = new MemoryRepeatCounter({ ttlMs: 10 });
    await counter.increment('q', 'm');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects calls after close() with RepeatCounterUnavailableError (reason closed)', async () => {
    const counter = new MemoryRepeatCounter();
    await counter.increment('q', 'm');
    await counter.close();
    await counter.close(); // idempotent
    const error = await counter.increment('q', 'm').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RepeatCounterUnavailableError);
    expect(error).toMatchObject({
      code: 'ERR_TIDINGS_REPEAT_COUNTER_UNAVAILABLE',
      reason: 'closed',
      operation: 'increment',
    });
    await expect(counter.forget('q', 'm')).rejects.toMatchObject({ reason: 'closed', operation: 'forget' });
  });

  it('rejects invalid options and arguments, naming them', async () => {
    expect(() => new MemoryRepeatCounter({ ttlMs: 0 })).toThrow(/ttlMs must be an integer >= 1/);
    expect(() => new MemoryRepeatCounter({ maxKeys: 1.5 })).toThrow(/maxKeys/);
    expect(() => new MemoryRepeatCounter({ ttl: 5 } as never)).toThrow(/unknown option "ttl"/);
    const counter = new MemoryRepeatCounter();
    await expect(counter.increment('', 'm')).rejects.toThrow(InvalidArgumentError);
    await expect(counter.increment('q', undefined as never)).rejects.toThrow(/messageId must be/);
    await expect(counter.forget(42 as never, 'm')).rejects.toThrow(/queue must be/);
  });
});
