import { describe, expect, it, vi } from 'vitest';
import {
  AsyncListenerError,
  EventDispatcher,
  ListenersFailedError,
  type StoppableEvent,
} from '../../src/index.js';
import { OrderPlaced, Stoppable } from './fixtures.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('dispatch()', () => {
  it('runs listeners sequentially, awaiting each thenable before the next listener', async () => {
    const dispatcher = new EventDispatcher();
    const calls: string[] = [];
    dispatcher.on(
      OrderPlaced,
      async () => {
        calls.push('slow start');
        await tick();
        calls.push('slow end');
      },
      { priority: 2 },
    );
    dispatcher.on(OrderPlaced, () => void calls.push('sync'), { priority: 1 });
    dispatcher.on(OrderPlaced, async () => void calls.push('async'));
    await dispatcher.dispatch(new OrderPlaced('o', 1));
    expect(calls).toEqual(['slow start', 'slow end', 'sync', 'async']);
  });

  it('awaits custom thenables, not only native promises', async () => {
    const dispatcher = new EventDispatcher();
    const calls: string[] = [];
    dispatcher.on(OrderPlaced, () => ({
      then(resolve: (value: unknown) => void) {
        setTimeout(() => {
          calls.push('thenable');
          resolve(undefined);
        }, 1);
      },
    }));
    dispatcher.on(OrderPlaced, () => void calls.push('after'), { priority: -1 });
    await dispatcher.dispatch(new OrderPlaced('o', 1));
    expect(calls).toEqual(['thenable', 'after']);
  });

  it('with only synchronous listeners, every listener has run when dispatch() returns', () => {
    const dispatcher = new EventDispatcher();
    const listener = vi.fn();
    dispatcher.on(OrderPlaced, listener);
    void dispatcher.dispatch(new OrderPlaced('o', 1));
    expect(listener).toHaveBeenCalledTimes(1);
  });
});

describe('dispatchSync()', () => {
  it('throws AsyncListenerError naming the listener when one returns a promise', () => {
    const dispatcher = new EventDispatcher();
    dispatcher.on(OrderPlaced, async function sendMail() {});
    const after = vi.fn();
    dispatcher.on(OrderPlaced, after, { priority: -1 });
    let caught: unknown;
    try {
      dispatcher.dispatchSync(new OrderPlaced('o', 1));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AsyncListenerError);
    expect(caught).toMatchObject({ code: 'ERR_TIDINGS_ASYNC_LISTENER', listener: 'sendMail' });
    expect((caught as Error).message).toMatch(/sendMail.*order\.placed.*dispatch\(\)/);
    expect(after).not.toHaveBeenCalled();
  });

  it('a rejected promise of such a listener does not become an unhandled rejection', async () => {
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const dispatcher = new EventDispatcher();
      dispatcher.on(OrderPlaced, async () => {
        throw new Error('late failure');
      });
      expect(() => dispatcher.dispatchSync(new OrderPlaced('o', 1))).toThrow(AsyncListenerError);
      await tick();
      await tick();
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });
});

describe('stop propagation', () => {
  it('listeners after the one that stopped propagation are not called', async () => {
    const dispatcher = new EventDispatcher();
    const calls: string[] = [];
    dispatcher.on(Stoppable, () => void calls.push('first'), { priority: 10 });
    dispatcher.on(
      Stoppable,
      async (event) => {
        calls.push('stopper');
        await tick();
        event.stopPropagation();
      },
      { priority: 5 },
    );
    dispatcher.on(Stoppable, () => void calls.push('never'));
    const event = await dispatcher.dispatch(new Stoppable('s'));
    expect(event.isPropagationStopped()).toBe(true);
    expect(calls).toEqual(['first', 'stopper']);

    calls.length = 0;
    const again = new Stoppable('t');
    dispatcher.on(Stoppable, (e) => e.stopPropagation(), { priority: 20 });
    dispatcher.dispatchSync(again);
    expect(calls).toEqual([]);
  });

  it('works for any event with isPropagationStopped(), not only Event subclasses', () => {
    class Custom implements StoppableEvent {
      stopped = false;
      isPropagationStopped() {
        return this.stopped;
      }
    }
    const dispatcher = new EventDispatcher();
    const after = vi.fn();
    dispatcher.on(Custom, (event) => void (event.stopped = true), { priority: 1 });
    dispatcher.on(Custom, after);
    dispatcher.dispatchSync(new Custom());
    expect(after).not.toHaveBeenCalled();
  });

  it('an event stopped before dispatch reaches no listener', () => {
    const dispatcher = new EventDispatcher();
    const listener = vi.fn();
    dispatcher.on(Stoppable, listener);
    const event = new Stoppable('s');
    event.stopPropagation();
    dispatcher.dispatchSync(event);
    expect(listener).not.toHaveBeenCalled();
  });

  it('the stop flag is not part of the event JSON', () => {
    const event = new Stoppable('s');
    event.stopPropagation();
    expect(JSON.parse(JSON.stringify(event))).toEqual({ id: 's' });
  });
});

describe('error policy', () => {
  it("'stop' (default): the first error fails the dispatch and later listeners do not run", async () => {
    const dispatcher = new EventDispatcher();
    const boom = new Error('boom');
    const after = vi.fn();
    dispatcher.on(
      OrderPlaced,
      () => {
        throw boom;
      },
      { priority: 1 },
    );
    dispatcher.on(OrderPlaced, after);
    await expect(dispatcher.dispatch(new OrderPlaced('o', 1))).rejects.toBe(boom);
    expect(() => dispatcher.dispatchSync(new OrderPlaced('o', 1))).toThrow(boom);
    expect(after).not.toHaveBeenCalled();
  });

  it("'stop': a rejected promise fails dispatch() with that error", async () => {
    const dispatcher = new EventDispatcher();
    const after = vi.fn();
    dispatcher.on(
      OrderPlaced,
      async () => {
        await tick();
        throw new Error('async boom');
      },
      { priority: 1 },
    );
    dispatcher.on(OrderPlaced, after);
    await expect(dispatcher.dispatch(new OrderPlaced('o', 1))).rejects.toThrow('async boom');
    expect(after).not.toHaveBeenCalled();
  });

  it("'collect': every listener runs, then one ListenersFailedError names each failure", async () => {
    const dispatcher = new EventDispatcher({ errorPolicy: 'collect' });
    const calls: string[] = [];
    dispatcher.on(
      OrderPlaced,
      function audit() {
        calls.push('audit');
        throw new Error('audit down');
      },
      { priority: 3 },
    );
    dispatcher.on(
      OrderPlaced,
      async function mail() {
        calls.push('mail');
        await tick();
        throw new TypeError('no address');
      },
      { priority: 2 },
    );
    dispatcher.on(
      OrderPlaced,
      function ship() {
        calls.push('ship');
      },
      { priority: 1 },
    );
    dispatcher.on(OrderPlaced, async function bill() {
      calls.push('bill');
      return Promise.reject(new RangeError('card declined'));
    });

    const error = await dispatcher.dispatch(new OrderPlaced('o', 1)).catch((e: unknown) => e);
    expect(calls).toEqual(['audit', 'mail', 'ship', 'bill']);
    expect(error).toBeInstanceOf(ListenersFailedError);
    expect(error).toBeInstanceOf(AggregateError);
    const failed = error as ListenersFailedError;
    expect(failed.code).toBe('ERR_TIDINGS_LISTENERS_FAILED');
    expect(failed.failures.map((f) => f.listener)).toEqual(['audit', 'mail', 'bill']);
    expect(failed.errors.map((e) => (e as Error).message)).toEqual([
      'audit down',
      'no address',
      'card declined',
    ]);
    expect(failed.message).toMatch(/3 listener\(s\) of order\.placed failed: audit .*mail .*bill/);
  });

  it("'collect' in dispatchSync reports throwing and promise-returning listeners together", () => {
    const dispatcher = new EventDispatcher({ errorPolicy: 'collect' });
    const after = vi.fn();
    dispatcher.on(OrderPlaced, function a() {
      throw new Error('a');
    });
    dispatcher.on(OrderPlaced, async function b() {});
    dispatcher.on(OrderPlaced, after);
    let caught: unknown;
    try {
      dispatcher.dispatchSync(new OrderPlaced('o', 1));
    } catch (error) {
      caught = error;
    }
    expect(after).toHaveBeenCalledTimes(1);
    expect((caught as ListenersFailedError).failures.map((f) => f.listener)).toEqual(['a', 'b']);
    expect((caught as ListenersFailedError).errors[1]).toBeInstanceOf(AsyncListenerError);
  });

  it('a failing dispatch never leaves an unhandled rejection behind', async () => {
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      for (const errorPolicy of ['stop', 'collect'] as const) {
        const dispatcher = new EventDispatcher({ errorPolicy });
        dispatcher.on(OrderPlaced, async () => {
          throw new Error('x');
        });
        dispatcher.on(OrderPlaced, () => {
          throw new Error('y');
        });
        await expect(dispatcher.dispatch(new OrderPlaced('o', 1))).rejects.toBeInstanceOf(Error);
      }
      await tick();
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });
});
