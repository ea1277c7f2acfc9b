import { describe, expectTypeOf, test } from 'vitest';
import { EventDispatcher } from 'tidings';
import type { EventSubscriber, MethodName, MethodSubscription, SubscribedEvents } from 'tidings';

class OrderPlaced {
  constructor(readonly orderId: string) {}
}

class OrderShipped {
  constructor(readonly trackingCode: string) {}
}

class Mailer implements EventSubscriber {
  readonly from = 'shop@example.com';

  getSubscribedEvents(): SubscribedEvents<Mailer> {
    return [
      [OrderPlaced, 'onPlaced'],
      [OrderShipped, ['onShipped']],
      [OrderShipped, ['onShipped', 10]],
      [
        'user.login',
        [
          ['audit', 100],
          ['greet', -5],
        ],
      ],
      ['user.logout', [['audit'], ['greet', 0]]],
    ];
  }

  onPlaced(_event: OrderPlaced): void {}
  onShipped(_event: OrderShipped): void {}
  audit(): void {}
  greet(): void {}
}

describe('SubscribedEvents<S>', () => {
  test('method names are the methods of S (fields and getSubscribedEvents excluded)', () => {
    expectTypeOf<MethodName<Mailer>>().toEqualTypeOf<'onPlaced' | 'onShipped' | 'audit' | 'greet'>();
    expectTypeOf<'from'>().not.toExtend<MethodName<Mailer>>();
  });

  test("valid forms: 'm', ['m'], ['m', 10], [['m1', 10], ['m2', -5]]", () => {
    expectTypeOf<'onPlaced'>().toExtend<MethodSubscription<Mailer>>();
    expectTypeOf<readonly ['onPlaced']>().toExtend<MethodSubscription<Mailer>>();
    expectTypeOf<readonly ['onPlaced', 10]>().toExtend<MethodSubscription<Mailer>>();
    expectTypeOf<[['audit', 10], ['greet', -5]]>().toExtend<MethodSubscription<Mailer>>();
    const entries: SubscribedEvents<Mailer> = [
      [OrderPlaced, 'onPlaced'],
      ['user.login', ['audit', 10]],
      [
        'user.login',
        [
          ['audit', 10],
          ['greet', -5],
        ] as const,
      ],
    ];
    expectTypeOf(entries).toExtend<ReturnType<EventSubscriber['getSubscribedEvents']>>();
    new EventDispatcher().addSubscriber(new Mailer());
  });

  test('an entry naming a missing method is an error', () => {
    const _a: SubscribedEvents<Mailer> = [
      // @ts-expect-error Mailer has no method onPlacedd
      [OrderPlaced, 'onPlacedd'],
    ];
    const _b: SubscribedEvents<Mailer> = [
      // @ts-expect-error Mailer has no method onPlacedd
      [OrderPlaced, ['onPlacedd', 10]],
    ];
    const _c: SubscribedEvents<Mailer> = [
      // @ts-expect-error Mailer has no method gret
      ['user.login', [['gret', -5]]],
    ];
    const _d: SubscribedEvents<Mailer> = [
      // @ts-expect-error `from` is a field, not a method
      [OrderPlaced, 'from'],
    ];
  });

  test('malformed entries are errors', () => {
    const _a: SubscribedEvents<Mailer> = [
      // @ts-expect-error the priority is a number
      [OrderPlaced, ['onPlaced', 'high']],
    ];
    const _b: SubscribedEvents<Mailer> = [
      // @ts-expect-error the event must be a class or a name, not an instance
      [new OrderPlaced('o-1'), 'onPlaced'],
    ];
    const _c: SubscribedEvents<Mailer> = [
      // @ts-expect-error an entry is an [event, method] pair
      [OrderPlaced],
    ];
    const _d: SubscribedEvents<Mailer> = [
      // @ts-expect-error at most [method, priority]
      [OrderPlaced, ['onPlaced', 10, 20]],
    ];
  });

  test('the return type of getSubscribedEvents() is checked too', () => {
    class Broken {
      getSubscribedEvents(): SubscribedEvents<Broken> {
        // @ts-expect-error Broken has no method onPlaced
        return [[OrderPlaced, 'onPlaced']];
      }
    }
    expectTypeOf<Broken>().toHaveProperty('getSubscribedEvents');
  });
});
