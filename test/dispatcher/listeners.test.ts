import { describe, expect, it, vi } from 'vitest';
import { Event, EventDispatcher } from '../../src/index.js';
import { AdminRegistered, DomainEvent, OrderPlaced, UserRegistered } from './fixtures.js';

describe('on / once / off', () => {
  it('calls a listener with the dispatched event and resolves to the event', async () => {
    const dispatcher = new EventDispatcher();
    const seen: OrderPlaced[] = [];
    dispatcher.on(OrderPlaced, (event) => void seen.push(event));
    const event = new OrderPlaced('o-1', 42);
    await expect(dispatcher.dispatch(event)).resolves.toBe(event);
    expect(dispatcher.dispatchSync(event)).toBe(event);
    expect(seen).toEqual([event, event]);
  });

  it('keys listeners by class identity, never by class name', () => {
    const dispatcher = new EventDispatcher();
    const First = class Same {};
    const Second = class Same {};
    const first = vi.fn();
    dispatcher.on(First, first);
    dispatcher.dispatchSync(new Second());
    expect(first).not.toHaveBeenCalled();
    dispatcher.dispatchSync(new First());
    expect(first).toHaveBeenCalledTimes(1);
  });

  it('the returned function unsubscribes, and calling it twice is harmless', () => {
    const dispatcher = new EventDispatcher();
    const listener = vi.fn();
    const off = dispatcher.on(OrderPlaced, listener);
    off();
    off();
    dispatcher.dispatchSync(new OrderPlaced('o', 1));
    expect(listener).not.toHaveBeenCalled();
    expect(dispatcher.hasListeners(OrderPlaced)).toBe(false);
  });

  it('off removes every registration of that listener on that class and reports it', () => {
    const dispatcher = new EventDispatcher();
    const listener = vi.fn();
    const other = vi.fn();
    dispatcher.on(OrderPlaced, listener);
    dispatcher.on(OrderPlaced, listener, { priority: 5 });
    dispatcher.on(OrderPlaced, other);
    expect(dispatcher.off(OrderPlaced, listener)).toBe(true);
    expect(dispatcher.off(OrderPlaced, listener)).toBe(false);
    dispatcher.dispatchSync(new OrderPlaced('o', 1));
    expect(listener).not.toHaveBeenCalled();
    expect(other).toHaveBeenCalledTimes(1);
  });

  it('once runs a listener in exactly one dispatch, even when dispatches overlap', async () => {
    const dispatcher = new EventDispatcher();
    let calls = 0;
    dispatcher.once(OrderPlaced, async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 5));
    });
    await Promise.all([
      dispatcher.dispatch(new OrderPlaced('a', 1)),
      dispatcher.dispatch(new OrderPlaced('b', 1)),
    ]);
    dispatcher.dispatchSync(new OrderPlaced('c', 1));
    expect(calls).toBe(1);
    expect(dispatcher.hasListeners(OrderPlaced)).toBe(false);
  });

  it('an aborted signal removes the listener; an already aborted one registers nothing', () => {
    const dispatcher = new EventDispatcher();
    const controller = new AbortController();
    const listener = vi.fn();
    dispatcher.on(OrderPlaced, listener, { signal: controller.signal });
    dispatcher.dispatchSync(new OrderPlaced('a', 1));
    controller.abort();
    dispatcher.dispatchSync(new OrderPlaced('b', 1));
    expect(listener).toHaveBeenCalledTimes(1);

    const late = vi.fn();
    dispatcher.on(OrderPlaced, late, { signal: AbortSignal.abort() });
    expect(dispatcher.hasListeners(OrderPlaced)).toBe(false);
  });

  it('unsubscribing detaches from the signal', () => {
    const dispatcher = new EventDispatcher();
    const controller = new AbortController();
    const remove = vi.spyOn(controller.signal, 'removeEventListener');
    const off = dispatcher.on(OrderPlaced, () => {}, { signal: controller.signal });
    off();
    expect(remove).toHaveBeenCalledTimes(1);
  });

  it('string-named events carry a payload', async () => {
    const dispatcher = new EventDispatcher<{ 'user.login': { userId: string }; tick: undefined }>();
    const seen: string[] = [];
    dispatcher.on('user.login', (payload) => void seen.push(payload.userId));
    dispatcher.on('tick', () => void seen.push('tick'));
    const payload = { userId: 'u-1' };
    await expect(dispatcher.dispatch('user.login', payload)).resolves.toBe(payload);
    dispatcher.dispatchSync('user.login', { userId: 'u-2' });
    dispatcher.dispatchSync('tick');
    expect(seen).toEqual(['u-1', 'u-2', 'tick']);
  });

  it('a string name and a class with the same static eventName are different events', () => {
    const dispatcher = new EventDispatcher();
    const byName = vi.fn();
    dispatcher.on('order.placed', byName);
    dispatcher.dispatchSync(new OrderPlaced('o', 1));
    expect(byName).not.toHaveBeenCalled();
  });

  it('dispatching an event nobody listens to is a no-op', async () => {
    const dispatcher = new EventDispatcher();
    const event = new OrderPlaced('o', 1);
    await expect(dispatcher.dispatch(event)).resolves.toBe(event);
    expect(dispatcher.hasListeners()).toBe(false);
  });
});

describe('polymorphism', () => {
  it('a listener on a base class receives subclass events, in one priority order', () => {
    const dispatcher = new EventDispatcher();
    const calls: string[] = [];
    dispatcher.on(DomainEvent, () => void calls.push('domain:0'));
    dispatcher.on(UserRegistered, () => void calls.push('user:5'), { priority: 5 });
    dispatcher.on(AdminRegistered, () => void calls.push('admin:0'));
    dispatcher.on(DomainEvent, () => void calls.push('domain:10'), { priority: 10 });

    dispatcher.dispatchSync(new AdminRegistered('u'));
    expect(calls).toEqual(['domain:10', 'user:5', 'domain:0', 'admin:0']);

    calls.length = 0;
    dispatcher.dispatchSync(new UserRegistered('u'));
    expect(calls).toEqual(['domain:10', 'user:5', 'domain:0']);
  });

  it('the cached call order follows registration changes on a base class', () => {
    const dispatcher = new EventDispatcher();
    const calls: string[] = [];
    dispatcher.on(UserRegistered, () => void calls.push('user'));
    dispatcher.dispatchSync(new AdminRegistered('u'));
    const off = dispatcher.on(DomainEvent, () => void calls.push('domain'), { priority: 1 });
    dispatcher.dispatchSync(new AdminRegistered('u'));
    off();
    dispatcher.dispatchSync(new AdminRegistered('u'));
    expect(calls).toEqual(['user', 'domain', 'user', 'user']);
  });

  it('a merged call order (listeners on several levels) follows changes on any level', () => {
    const dispatcher = new EventDispatcher();
    const calls: string[] = [];
    dispatcher.on(DomainEvent, () => void calls.push('domain'));
    dispatcher.on(UserRegistered, () => void calls.push('user'), { priority: 1 });
    dispatcher.dispatchSync(new AdminRegistered('u'));
    const off = dispatcher.on(AdminRegistered, () => void calls.push('admin'), { priority: 2 });
    dispatcher.dispatchSync(new AdminRegistered('u'));
    dispatcher.dispatchSync(new UserRegistered('u')); // another class in between: the cache is per class
    off();
    dispatcher.dispatchSync(new AdminRegistered('u'));
    expect(calls).toEqual(['user', 'domain', 'admin', 'user', 'domain', 'user', 'domain', 'user', 'domain']);
  });

  it('abstract classes can be listened to', () => {
    abstract class Base {
      abstract kind(): string;
    }
    class Concrete extends Base {
      kind() {
        return 'concrete';
      }
    }
    const dispatcher = new EventDispatcher();
    const kinds: string[] = [];
    dispatcher.on(Base, (event) => void kinds.push(event.kind()));
    dispatcher.dispatchSync(new Concrete());
    expect(kinds).toEqual(['concrete']);
  });
});

describe('priorities', () => {
  it('runs higher priorities first and equal priorities in registration order', () => {
    const dispatcher = new EventDispatcher();
    const calls: string[] = [];
    const add = (name: string, priority?: number) =>
      dispatcher.on(OrderPlaced, () => void calls.push(name), priority === undefined ? {} : { priority });
    add('a0');
    add('b10', 10);
    add('c-5', -5);
    add('d10', 10);
    add('e0', 0);
    add('f-5', -5);
    dispatcher.dispatchSync(new OrderPlaced('o', 1));
    expect(calls).toEqual(['b10', 'd10', 'a0', 'e0', 'c-5', 'f-5']);
  });

  it('keeps order stable across many equal priorities', () => {
    const dispatcher = new EventDispatcher();
    const calls: number[] = [];
    for (let i = 0; i < 50; i++) dispatcher.on(OrderPlaced, () => void calls.push(i), { priority: i % 3 });
    dispatcher.dispatchSync(new OrderPlaced('o', 1));
    const expected = [2, 1, 0].flatMap((p) =>
      Array.from({ length: 50 }, (_, i) => i).filter((i) => i % 3 === p),
    );
    expect(calls).toEqual(expected);
  });
});

describe('a dispatch keeps the listener list it started with', () => {
  it('a listener added during a dispatch runs from the next dispatch on', () => {
    const dispatcher = new EventDispatcher();
    const late = vi.fn();
    dispatcher.on(OrderPlaced, () => void dispatcher.on(OrderPlaced, late), { once: true });
    dispatcher.dispatchSync(new OrderPlaced('a', 1));
    expect(late).not.toHaveBeenCalled();
    dispatcher.dispatchSync(new OrderPlaced('b', 1));
    expect(late).toHaveBeenCalledTimes(1);
  });

  it('a listener removed during a dispatch still runs in that dispatch, not after', async () => {
    const dispatcher = new EventDispatcher();
    const second = vi.fn();
    let offSecond = (): void => {};
    dispatcher.on(
      OrderPlaced,
      async () => {
        offSecond();
        await Promise.resolve();
      },
      { priority: 1 },
    );
    offSecond = dispatcher.on(OrderPlaced, second);
    await dispatcher.dispatch(new OrderPlaced('a', 1));
    expect(second).toHaveBeenCalledTimes(1);
    await dispatcher.dispatch(new OrderPlaced('b', 1));
    expect(second).toHaveBeenCalledTimes(1);
  });

  it('a listener may dispatch other events (re-entrant)', async () => {
    const dispatcher = new EventDispatcher();
    const calls: string[] = [];
    dispatcher.on(OrderPlaced, async (event) => {
      calls.push(`placed ${event.orderId}`);
      await dispatcher.dispatch(new UserRegistered(`buyer of ${event.orderId}`));
      calls.push(`placed done`);
    });
    dispatcher.on(UserRegistered, (event) => {
      calls.push(`registered ${event.userId}`);
      dispatcher.dispatchSync(new DomainEvent());
    });
    dispatcher.on(DomainEvent, () => void calls.push('domain'));
    await dispatcher.dispatch(new OrderPlaced('o-1', 1));
    expect(calls).toEqual(['placed o-1', 'registered buyer of o-1', 'domain', 'domain', 'placed done']);
  });
});

// A key's one-element list is refilled by the next on() once its only listener is removed
// (ListenerSlot.spare): request-scoped listeners then allocate no list. These pin what that must not change.
describe('the only listener of a key, replaced', () => {
  it('replaced while it runs: the new one runs from the next dispatch on, once per dispatch', () => {
    const dispatcher = new EventDispatcher();
    const calls: string[] = [];
    const next = (event: OrderPlaced): void => void calls.push(`next ${event.orderId}`);
    const off = dispatcher.on(OrderPlaced, (event) => {
      calls.push(`first ${event.orderId}`);
      off();
      dispatcher.on(OrderPlaced, next);
    });
    dispatcher.dispatchSync(new OrderPlaced('a', 1));
    expect(calls).toEqual(['first a']);
    dispatcher.dispatchSync(new OrderPlaced('b', 1));
    expect(calls).toEqual(['first a', 'next b']);
    expect(dispatcher.getListeners(OrderPlaced).map((info) => info.name)).toEqual(['next']);
  });

  it('replaced by code in the event itself (isPropagationStopped) before it runs: that dispatch calls the one it started with', () => {
    const dispatcher = new EventDispatcher();
    const calls: string[] = [];
    let replace: (() => void) | undefined;
    class Checked extends Event {
      override isPropagationStopped(): boolean {
        replace?.(); // user code the dispatch runs before each listener
        replace = undefined;
        return super.isPropagationStopped();
      }
    }
    const off = dispatcher.on(Checked, () => void calls.push('first'));
    replace = () => {
      off();
      dispatcher.on(Checked, () => void calls.push('successor'));
    };
    dispatcher.dispatchSync(new Checked());
    expect(calls).toEqual(['first']);
    dispatcher.dispatchSync(new Checked());
    expect(calls).toEqual(['first', 'successor']);
  });

  it('replaced while its promise is pending: the dispatch reports the failing one, not its successor', async () => {
    const dispatcher = new EventDispatcher({ errorPolicy: 'collect' });
    const successor = vi.fn();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const off = dispatcher.on(OrderPlaced, async function failing() {
      await gate;
      throw new Error('refused');
    });
    const dispatching = dispatcher.dispatch(new OrderPlaced('a', 1));
    off();
    dispatcher.on(OrderPlaced, successor);
    release();
    const error = await dispatching.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ failures: [{ listener: 'failing' }] });
    expect(successor).not.toHaveBeenCalled();
    await dispatcher.dispatch(new OrderPlaced('b', 1));
    expect(successor).toHaveBeenCalledTimes(1);
  });

  it('removed: the dispatcher keeps neither the listener nor what it captured alive', async () => {
    const { setFlagsFromString } = await import('node:v8');
    const { runInNewContext } = await import('node:vm');
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const dispatcher = new EventDispatcher();
    const captured = ((): WeakRef<object> => {
      const request = { body: 'x'.repeat(1000) };
      const off = dispatcher.on(OrderPlaced, () => void request.body);
      dispatcher.dispatchSync(new OrderPlaced('a', 1));
      off();
      return new WeakRef(request);
    })();
    await new Promise((resolve) => setTimeout(resolve, 0)); // a WeakRef holds its target until the job ends
    gc();
    expect(captured.deref()).toBeUndefined();
    expect(dispatcher.hasListeners(OrderPlaced)).toBe(false);
  });
});
