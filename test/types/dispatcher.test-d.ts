import { describe, expectTypeOf, test } from 'vitest';
import { Event, EventDispatcher } from 'tidings';
import type { Listener, Unsubscribe } from 'tidings';

class OrderPlaced extends Event {
  constructor(
    readonly orderId: string,
    readonly total: number,
  ) {
    super();
  }
}

class OrderShipped {
  constructor(readonly trackingCode: string) {}
}

class ExpressOrderPlaced extends OrderPlaced {
  readonly express = true;
}

describe('class events', () => {
  const dispatcher = new EventDispatcher();

  test('on() and once() infer the listener parameter from the class', () => {
    const off = dispatcher.on(OrderPlaced, (event) => {
      expectTypeOf(event).toEqualTypeOf<OrderPlaced>();
    });
    expectTypeOf(off).toEqualTypeOf<Unsubscribe>();

    dispatcher.once(OrderShipped, (event) => {
      expectTypeOf(event).toEqualTypeOf<OrderShipped>();
    });
    dispatcher.on(ExpressOrderPlaced, (event) => {
      expectTypeOf(event).toEqualTypeOf<ExpressOrderPlaced>();
    });
  });

  test('a listener may take a base class of the event', () => {
    dispatcher.on(ExpressOrderPlaced, (event: OrderPlaced) => event.orderId);
    dispatcher.on(OrderPlaced, (event: Event) => event.stopPropagation());
    dispatcher.on(OrderPlaced, () => undefined);
    dispatcher.on(OrderPlaced, async (event) => event.total, { priority: 10 });
  });

  test('a listener whose parameter does not accept the event is an error', () => {
    // @ts-expect-error an OrderPlaced is not an OrderShipped
    dispatcher.on(OrderPlaced, (event: OrderShipped) => event.trackingCode);
    // @ts-expect-error an OrderPlaced is not an ExpressOrderPlaced (the subclass has more members)
    dispatcher.once(OrderPlaced, (event: ExpressOrderPlaced) => event.express);
    // @ts-expect-error off() checks the listener the same way
    dispatcher.off(OrderPlaced, (event: OrderShipped) => event.trackingCode);
    const typed: Listener<OrderShipped> = (event) => event.trackingCode;
    // @ts-expect-error a Listener<OrderShipped> cannot listen to OrderPlaced
    dispatcher.on(OrderPlaced, typed);
  });

  test('listen options are checked', () => {
    // @ts-expect-error priority is a number
    dispatcher.on(OrderPlaced, () => {}, { priority: 'high' });
    // @ts-expect-error once() takes no `once` option
    dispatcher.once(OrderPlaced, () => {}, { once: true });
    // @ts-expect-error the event type must be a class (or a name), not an instance
    dispatcher.on(new OrderShipped('t'), () => {});
  });

  test('dispatch() resolves to the event; dispatchSync() returns it', () => {
    expectTypeOf(dispatcher.dispatch(new OrderPlaced('o-1', 42))).toEqualTypeOf<Promise<OrderPlaced>>();
    expectTypeOf(dispatcher.dispatchSync(new OrderShipped('t-1'))).toEqualTypeOf<OrderShipped>();
    expectTypeOf(
      dispatcher.dispatchSync(new ExpressOrderPlaced('o-2', 1)),
    ).toEqualTypeOf<ExpressOrderPlaced>();
    // @ts-expect-error a number is neither an event object nor an event name
    void dispatcher.dispatch(42);
  });
});

describe('string-named events with a typed map', () => {
  // A type alias: an interface has no implicit index signature, so it does not satisfy NamedEvents.
  type Named = {
    'user.login': { userId: string };
    'cache.cleared': undefined;
  };
  const dispatcher = new EventDispatcher<Named>();

  test('the payload type is inferred from the name', () => {
    dispatcher.on('user.login', (payload) => {
      expectTypeOf(payload).toEqualTypeOf<{ userId: string }>();
    });
    dispatcher.once('user.login', (payload) => {
      expectTypeOf(payload.userId).toBeString();
    });
    expectTypeOf(dispatcher.dispatch('user.login', { userId: 'u-1' })).toEqualTypeOf<
      Promise<{ userId: string }>
    >();
    expectTypeOf(dispatcher.dispatchSync('user.login', { userId: 'u-1' })).toEqualTypeOf<{
      userId: string;
    }>();
  });

  test('a payload that accepts undefined may be left out', () => {
    expectTypeOf(dispatcher.dispatchSync('cache.cleared')).toEqualTypeOf<undefined>();
    void dispatcher.dispatch('cache.cleared');
  });

  test('class events still work on a dispatcher with a name map', () => {
    dispatcher.on(OrderPlaced, (event) => expectTypeOf(event).toEqualTypeOf<OrderPlaced>());
    expectTypeOf(dispatcher.dispatch(new OrderPlaced('o', 1))).toEqualTypeOf<Promise<OrderPlaced>>();
  });

  test('unknown names are errors', () => {
    // @ts-expect-error 'user.logout' is not in the map
    dispatcher.on('user.logout', () => {});
    // @ts-expect-error 'user.logout' is not in the map
    dispatcher.once('user.logout', () => {});
    // @ts-expect-error 'user.logout' is not in the map
    void dispatcher.dispatch('user.logout', { userId: 'u-1' });
    // @ts-expect-error 'user.logout' is not in the map
    dispatcher.dispatchSync('user.logout');
    // @ts-expect-error 'user.logout' is not in the map
    dispatcher.hasListeners('user.logout');
    const someName: string = 'user.login';
    // @ts-expect-error a plain string is not known to be in the map
    dispatcher.on(someName, () => {});
  });

  test('payload type mismatches are errors', () => {
    // @ts-expect-error userId is a string
    void dispatcher.dispatch('user.login', { userId: 1 });
    // @ts-expect-error the payload is required
    dispatcher.dispatchSync('user.login');
    // @ts-expect-error the payload lacks userId
    dispatcher.dispatchSync('user.login', {});
    // @ts-expect-error the listener expects a different payload
    dispatcher.on('user.login', (payload: { userId: number }) => payload.userId);
    // @ts-expect-error the payload of 'cache.cleared' is undefined
    dispatcher.dispatchSync('cache.cleared', { any: 'thing' });
  });

  test('without a map, any name is accepted and payloads are unknown', () => {
    const untyped = new EventDispatcher();
    untyped.on('anything', (payload) => expectTypeOf(payload).toBeUnknown());
    expectTypeOf(untyped.dispatchSync('anything', 1)).toBeUnknown();
  });
});

describe('event classes with a private constructor', () => {
  test('are accepted (built through a static factory such as fromPayload)', () => {
    class Shipped {
      private constructor(readonly orderId: string) {}
      static of(orderId: string) {
        return new Shipped(orderId);
      }
    }
    const dispatcher = new EventDispatcher();
    dispatcher.on(Shipped, (event) => expectTypeOf(event).toEqualTypeOf<Shipped>());
    // @ts-expect-error -- the listener's parameter must still match the class
    dispatcher.on(Shipped, (event: { other: number }) => event);
    expectTypeOf(dispatcher.dispatchSync(Shipped.of('o'))).toEqualTypeOf<Shipped>();
  });
});
