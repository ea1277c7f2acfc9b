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

  it('requires the event class, since standard decorators carry no parameter types', () => {
    expect(() => {
      class Mailer {
        @OnEvent()
        onPlaced(_event: OrderPlaced) {}
      }
      return Mailer;
    }).toThrow(SubscriberDefinitionError);
  });

  it('rejects fields and static methods', () => {
    expect(() => {
      class Fields {
        @(OnEvent(OrderPlaced) as unknown as (value: undefined, context: ClassFieldDecoratorContext) => void)
        handler = () => {};
      }
      return Fields;
    }).toThrow(/only methods can listen/);
    expect(() => {
      class Static {
        @OnEvent(OrderPlaced)
        static onPlaced(_event: OrderPlaced) {}
      }
      return Static;
    }).toThrow(/static methods cannot be listeners/);
  });
});
