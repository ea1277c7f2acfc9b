// Compiled with TC39 standard decorators (no experimentalDecorators): see vitest.config.ts.
import { describe, expect, it } from 'vitest';
import { EventDispatcher, OnEvent, SubscriberDefinitionError } from '../../src/index.js';

class OrderPlaced {
  constructor(readonly orderId: string) {}
}

describe('@OnEvent as a standard decorator', () => {
  it('registers decorated methods with their priorities', () => {
    class Mailer {
      calls: string[] = [];
      @OnEvent(OrderPlaced)
      second(event: OrderPlaced) {
        this.calls.push(`second ${event.orderId}`);
      }
      @OnEvent(OrderPlaced, { priority: 5 })
      first(event: OrderPlaced) {
        this.calls.push(`first ${event.orderId}`);
      }
      @OnEvent('user.login')
      login() {
        this.calls.push('login');
      }
    }
    const dispatcher = new EventDispatcher();
    const mailer = new Mailer();
    dispatcher.addSubscriber(mailer);
    dispatcher.dispatchSync(new OrderPlaced('o'));
    dispatcher.dispatchSync('user.login');
    expect(mailer.calls).toEqual(['first o', 'second o', 'login']);
    expect(dispatcher.getListeners(OrderPlaced).map((info) => info.name)).toEqual([
      'Mailer.first',
      'Mailer.second',
    ]);
  });

  // A standard decorator is not told its class: the error names Class.method once the class is known,
  // at its first construction (before any instance could be registered).
  it('requires the event class, since standard decorators carry no parameter types', () => {
    class Mailer {
      @OnEvent()
      onPlaced(_event: OrderPlaced) {}
    }
    expect(() => new Mailer()).toThrow(SubscriberDefinitionError);
    expect(() => new Mailer()).toThrow(
      /^@OnEvent on Mailer\.onPlaced: standard decorators carry no parameter types, so the event class must be given/,
    );
  });

  it('rejects fields at construction and static methods at definition, naming Class.member', () => {
    class Fields {
      @(OnEvent(OrderPlaced) as unknown as (value: undefined, context: ClassFieldDecoratorContext) => void)
      handler = () => {};
    }
    expect(() => new Fields()).toThrow(
      /^@OnEvent on Fields\.handler: only methods can listen to events \(got a field\)/,
    );
    expect(() => {
      class Static {
        @OnEvent(OrderPlaced)
        static on(_event: OrderPlaced) {}
      }
      return Static;
    }).toThrow(/^@OnEvent on Static\.on: static methods cannot be listeners/);
  });
});
