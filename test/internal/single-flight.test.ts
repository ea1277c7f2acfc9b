import { describe, expect, it } from 'vitest';
import { singleFlight } from '../../src/internal/single-flight.js';

describe('singleFlight', () => {
  it('runs one call at a time: callers meanwhile share it, the next caller after it starts another', async () => {
    let calls = 0;
    let answer: (value: number) => void = () => {};
    const ask = singleFlight(
      () => {
        calls++;
        return new Promise<number>((resolve) => (answer = resolve));
      },
      1000,
      'The outbox',
    );
    const first = ask();
    const second = ask();
    expect(calls).toBe(1);
    answer(7);
    expect(await Promise.all([first, second])).toEqual([7, 7]);
    const third = ask();
    expect(calls).toBe(2);
    answer(8);
    expect(await third).toBe(8);
  });

  it('bounds each wait; a caller after the timeout waits for the same hung call, adding none', async () => {
    let calls = 0;
    const ask = singleFlight(
      () => {
        calls++;
        return new Promise<number>(() => {});
      },
      30,
      'The broker',
    );
    await expect(ask()).rejects.toThrow('The broker did not answer within 30 ms');
    await expect(ask()).rejects.toThrow('did not answer');
    expect(calls).toBe(1);
  });
});
