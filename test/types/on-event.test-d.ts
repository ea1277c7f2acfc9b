// Legacy decorators (experimentalDecorators, as tsconfig.json sets): @OnEvent checks the method it marks.
import { describe, expectTypeOf, test } from 'vitest';
import { Event, OnEvent } from 'tidings';
import type { OnEventDecorator } from 'tidings';

class OrderPlaced extends Event {
  constructor(
    readonly orderId: string,
    readonly total: number,
  ) {
    super();
  }
}

class PaymentRefused {
  constructor(readonly reason: string) {}
}

interface HasOrderId {
  readonly orderId: string;
}

describe('@OnEvent (legacy decorators)', () => {
  test('OnEvent(Class) returns a decorator typed by the event class', () => {
    // (expectTypeOf cannot tell OnEventDecorator<A> from OnEventDecorator<B>: their call signatures are
    // generic. Calling the decorator by hand checks its type instead.)
    const decorate = OnEvent(OrderPlaced, { priority: 10 });
    decorate({}, 'onPlaced', { value: (event: OrderPlaced) => event.orderId });
    decorate({}, 'onAny', { value: (event: Event) => event });
    // @ts-expect-error the method must accept an OrderPlaced
    decorate({}, 'onRefused', { value: (event: PaymentRefused) => event.reason });
    const anything: OnEventDecorator<never> = OnEvent();
    anything({}, 'onRefused', { value: (event: PaymentRefused) => event.reason });
  });

  test('a method whose parameter accepts the event compiles', () => {
    class Mailer {
      @OnEvent(OrderPlaced)
      onPlaced(event: OrderPlaced): void {
        void event;
      }

      @OnEvent(OrderPlaced, { priority: 10 })
      async onPlacedAsync(event: OrderPlaced): Promise<string> {
        return event.orderId;
      }

      @OnEvent(OrderPlaced) // a base class of the event
      onAnyEvent(event: Event): void {
        event.stopPropagation();
      }

      @OnEvent(OrderPlaced) // a structural supertype
      onOrderId(event: HasOrderId): string {
        return event.orderId;
      }

      @OnEvent(OrderPlaced) // no parameter at all
      onAnything(): void {}

      @OnEvent(OrderPlaced)
      @OnEvent(PaymentRefused)
      onEither(event: OrderPlaced | PaymentRefused): void {
        void event;
      }
    }
    expectTypeOf<Mailer>().toHaveProperty('onPlaced');
  });

  test('@OnEvent() without a class, or with a name, compiles on any one-parameter method', () => {
    class Audit {
      @OnEvent()
      onPlaced(event: OrderPlaced): void {
        void event;
      }

      @OnEvent({ priority: -5 })
      onRefused(event: PaymentRefused): void {
        void event;
      }

      @OnEvent('user.login')
      onLogin(payload: { userId: string }): void {
        void payload;
      }
    }
    expectTypeOf<Audit>().toHaveProperty('onPlaced');
  });

  test('a method whose parameter cannot accept the event is an error', () => {
    class Wrong {
      // @ts-expect-error an OrderPlaced is not a PaymentRefused
      @OnEvent(OrderPlaced)
      onPlaced(event: PaymentRefused): void {
        void event;
      }

      // @ts-expect-error an OrderPlaced is not a string
      @OnEvent(OrderPlaced, { priority: 1 })
      onPlacedId(orderId: string): void {
        void orderId;
      }

      // @ts-expect-error the second marking does not fit: a PaymentRefused is not an OrderPlaced
      @OnEvent(PaymentRefused)
      @OnEvent(OrderPlaced)
      onBoth(event: OrderPlaced): void {
        void event;
      }
    }
    expectTypeOf<Wrong>().toHaveProperty('onPlaced');
  });

  test('options and arguments are checked', () => {
    // @ts-expect-error priority is a number
    OnEvent(OrderPlaced, { priority: '10' });
    // @ts-expect-error unknown option
    OnEvent(OrderPlaced, { once: true });
    // @ts-expect-error an instance is not an event class
    OnEvent(new PaymentRefused('x'));
  });

  test('only methods can be decorated', () => {
    class NotAMethod {
      // @ts-expect-error a property is not a method
      @OnEvent(OrderPlaced)
      handler = (event: OrderPlaced): void => void event;
    }
    expectTypeOf<NotAMethod>().toHaveProperty('handler');
  });
});
