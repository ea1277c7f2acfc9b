import { afterEach, describe, expect, it, vi } from 'vitest';
import { DeadlineQueue } from '../../src/internal/deadline-queue.js';

const never = <T>(): Promise<T> => new Promise<T>(() => {});

describe('DeadlineQueue', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('settles like the call when it answers in time, and rejects a call that does not at its deadline', async () => {
    vi.useFakeTimers();
    const queue = new DeadlineQueue(100, () => new Error('too slow'));
    const answered = queue.within(Promise.resolve(7));
    const failed = queue.within(Promise.reject(new Error('refused')));
    const hanging = queue.within(never<number>());
    const hangingResult = hanging.then(
      () => 'resolved',
      (error: Error) => error.message,
    );
    await expect(answered).resolves.toBe(7);
    await expect(failed).rejects.toThrow('refused');
    await vi.advanceTimersByTimeAsync(99);
    expect(await Promise.race([hangingResult, Promise.resolve('pending')])).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(await hangingResult).toBe('too slow');
  });

  it('keeps one timer for any number of calls, and none once every call settled', async () => {
    vi.useFakeTimers();
    const queue = new DeadlineQueue(1000, () => new Error('too slow'));
    const calls = Array.from({ length: 500 }, (_, i) => queue.within(Promise.resolve(i)));
    expect(vi.getTimerCount()).toBe(1);
    expect(await Promise.all(calls)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    // The settled calls are dropped from the front as the next call comes in.
    await queue.within(Promise.resolve(-1));
    expect(queue.size).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(queue.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects each late call at its own deadline, in the order they were made', async () => {
    vi.useFakeTimers();
    const queue = new DeadlineQueue(100, () => new Error('too slow'));
    const outcomes: string[] = [];
    const first = queue.within(never()).catch(() => outcomes.push('first'));
    await vi.advanceTimersByTimeAsync(60);
    const second = queue.within(never()).catch(() => outcomes.push('second'));
    await vi.advanceTimersByTimeAsync(40);
    expect(outcomes).toEqual(['first']);
    await vi.advanceTimersByTimeAsync(60);
    await Promise.all([first, second]);
    expect(outcomes).toEqual(['first', 'second']);
  });
});
