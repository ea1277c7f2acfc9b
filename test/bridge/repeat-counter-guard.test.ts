// The subscriber's repeat counter behind a deadline: a failing or slow counter counts as unavailable,
// with one warning per outage (not one per delivery) and one when it answers again.
import { describe, expect, it } from 'vitest';
import { RepeatCounterGuard } from '../../src/messaging/consumer/repeat-counter-guard.js';
import type { RepeatCounter } from '../../src/messaging/repeat/repeat-counter.js';
import { MemoryRepeatCounter } from '../../src/messaging/repeat/memory-repeat-counter.js';
import type { ConsumerWarning } from '../../src/messaging/consumer/consumer-events.js';

/** A counter whose answers the test switches: a count, a failure, or never. */
function switchable() {
  let mode: 'up' | 'down' | 'hang' = 'up';
  let count = 0;
  const answer = <T>(value: () => T): Promise<T> =>
    mode === 'up'
      ? Promise.resolve(value())
      : mode === 'down'
        ? Promise.reject(new Error('ECONNREFUSED'))
        : new Promise<T>(() => {});
  const counter: RepeatCounter = {
    increment: () => answer(() => ++count),
    forget: () => answer(() => undefined),
    close: () => Promise.resolve(),
  };
  return { counter, set: (next: typeof mode) => (mode = next) };
}

function guarded(counter: RepeatCounter, timeoutMs = 500) {
  const warnings: ConsumerWarning[] = [];
  const guard = new RepeatCounterGuard(counter, 'q', timeoutMs, (w) => warnings.push(w));
  return { guard, warnings };
}

describe('RepeatCounterGuard', () => {
  it('passes counts through without warnings while the counter answers', async () => {
    const { counter } = switchable();
    const { guard, warnings } = guarded(counter);
    expect(await guard.count('m-1')).toBe(1);
    expect(await guard.count('m-1')).toBe(2);
    await guard.forget('m-1');
    expect(warnings).toEqual([]);
  });

  it('warns once per outage, then once when the counter is restored, with the failures tallied', async () => {
    const { counter, set } = switchable();
    const { guard, warnings } = guarded(counter);
    set('down');
    expect(await guard.count('m-1')).toBeUndefined();
    expect(await guard.count('m-2')).toBeUndefined();
    await guard.forget('m-3'); // forget() never throws
    expect(warnings.map((w) => w.code)).toEqual(['repeat-counter-unavailable']);
    expect(warnings[0]!.message).toContain('ECONNREFUSED');
    set('up');
    expect(await guard.count('m-4')).toBe(1);
    expect(warnings.map((w) => w.code)).toEqual(['repeat-counter-unavailable', 'repeat-counter-restored']);
    expect(warnings[1]!.message).toMatch(/after 3 failed call\(s\) over \d+ ms/);
    set('down');
    await guard.count('m-5');
    expect(warnings.map((w) => w.code)).toEqual([
      'repeat-counter-unavailable',
      'repeat-counter-restored',
      'repeat-counter-unavailable',
    ]);
  });

  it('counts a counter slower than the timeout as unavailable', async () => {
    const { counter, set } = switchable();
    const { guard, warnings } = guarded(counter, 20);
    set('hang');
    expect(await guard.count('m-1')).toBeUndefined();
    expect(warnings).toEqual([
      {
        code: 'repeat-counter-unavailable',
        message:
          'Repeat counter unavailable, counting attempts in the message header: The repeat counter did not answer within 20 ms',
        error: expect.any(Error) as unknown,
      },
    ]);
  });

  it('asks an in-process counter directly: answers are values, not promises, and failures still warn', async () => {
    const counter = new MemoryRepeatCounter();
    const { guard, warnings } = guarded(counter);
    expect(guard.count('m-1')).toBe(1);
    expect(guard.count('m-1')).toBe(2);
    expect(guard.forget('m-1')).toBeUndefined();
    expect(guard.count('m-1')).toBe(1);
    await counter.close(); // a closed counter throws: the guard counts it as unavailable
    expect(guard.count('m-2')).toBeUndefined();
    expect(guard.forget('m-2')).toBeUndefined();
    expect(warnings.map((w) => w.code)).toEqual(['repeat-counter-unavailable']);
    expect(warnings[0]!.message).toContain('closed');
    // The asynchronous methods answer the same counts (other callers use them).
    const fresh = new MemoryRepeatCounter();
    await expect(fresh.increment('q', 'm')).resolves.toBe(1);
    expect(guarded(fresh).guard.count('m')).toBe(2);
  });
});

describe('RepeatCounterGuard with a subclass of MemoryRepeatCounter', () => {
  it('asks an overriding subclass through its own methods, so the override runs', async () => {
    const seen: string[] = [];
    class AuditedCounter extends MemoryRepeatCounter {
      override async increment(queue: string, messageId: string): Promise<number> {
        seen.push(`increment ${messageId}`);
        return super.increment(queue, messageId);
      }
    }
    const { guard } = guarded(new AuditedCounter());
    expect(await guard.count('m-1')).toBe(1);
    expect(seen).toEqual(['increment m-1']);
    // A subclass that overrides nothing keeps the synchronous path.
    class PlainCounter extends MemoryRepeatCounter {}
    expect(guarded(new PlainCounter()).guard.count('m-1')).toBe(1);
  });

  it('accepts a counter written in JavaScript that answers with a plain value', async () => {
    const counter = {
      increment: () => 3,
      forget: () => undefined,
      close: () => Promise.resolve(),
    } as unknown as RepeatCounter;
    const { guard, warnings } = guarded(counter);
    expect(await guard.count('m-1')).toBe(3);
    expect(warnings).toEqual([]);
  });
});
