import { describe, expect, it } from 'vitest';
import {
  EventDispatcher,
  InvalidArgumentError,
  OnEvent,
  SubscriberDefinitionError,
  type EventSubscriber,
  type SubscribedEvents,
} from '../../src/index.js';
import { DomainEvent, OrderPlaced, UserRegistered } from './fixtures.js';

interface NotAClass {
  id: string;
}

class Mailer {
  readonly calls: string[] = [];

  @OnEvent(OrderPlaced, { priority: 10 })
  onPlaced(event: OrderPlaced) {
    this.calls.push(`placed ${event.orderId}`);
  }

  @OnEvent() // the class comes from design:paramtypes
  onRegistered(event: UserRegistered) {
    this.calls.push(`registered ${event.userId}`);
  }

  @OnEvent('user.login')
  @OnEvent(DomainEvent, { priority: -1 })
  audit(event: unknown) {
    this.calls.push(`audit ${event instanceof DomainEvent ? event.constructor.name : 'login'}`);
  }

  notAListener() {
    this.calls.push('never');
  }
}

class Billing implements EventSubscriber {
  readonly calls: string[] = [];

  getSubscribedEvents(): SubscribedEvents<Billing> {
    return [
      [OrderPlaced, 'charge'],
      [UserRegistered, ['openAccount', 5]],
      [
        'user.login',
        [
          ['greet', 10],
          ['log', -5],
        ],
      ],
    ];
  }

  charge(event: OrderPlaced) {
    this.calls.push(`charge ${event.total}`);
  }
  openAccount(event: UserRegistered) {
    this.calls.push(`account ${event.userId}`);
  }
  greet() {
    this.calls.push('greet');
  }
  log() {
    this.calls.push('log');
  }
}

describe('subscribers with @OnEvent', () => {
  it('registers each decorated method bound to the instance, with its priority', async () => {
    const dispatcher = new EventDispatcher();
    const mailer = new Mailer();
    const order: string[] = [];
    dispatcher.on(OrderPlaced, () => void order.push('plain listener'));
    dispatcher.addSubscriber(mailer);
    dispatcher.on(OrderPlaced, () => void mailer.calls.push('after'));

    await dispatcher.dispatch(new OrderPlaced('o-1', 5));
    await dispatcher.dispatch(new UserRegistered('u-1'));
    await dispatcher.dispatch('user.login', {});
    expect(mailer.calls).toEqual([
      'placed o-1',
      'after',
      'registered u-1',
      'audit UserRegistered',
      'audit login',
    ]);
    expect(order).toEqual(['plain listener']);
  });

  it('removeSubscriber removes every listener of that instance, and only of that instance', () => {
    const dispatcher = new EventDispatcher();
    const first = new Mailer();
    const second = new Mailer();
    dispatcher.addSubscriber(first);
    dispatcher.addSubscriber(second);
    expect(dispatcher.removeSubscriber(first)).toBe(true);
    expect(dispatcher.removeSubscriber(first)).toBe(false);
    dispatcher.dispatchSync(new OrderPlaced('o', 1));
    expect(first.calls).toEqual([]);
    expect(second.calls).toEqual(['placed o']);
  });

  it('inherits decorated methods; an override runs in place of the base method', () => {
    class LoudMailer extends Mailer {
      @OnEvent(OrderPlaced, { priority: 10 })
      override onPlaced(event: OrderPlaced) {
        this.calls.push(`LOUD ${event.orderId}`);
      }
    }
    const dispatcher = new EventDispatcher();
    const mailer = new LoudMailer();
    dispatcher.addSubscriber(mailer);
    dispatcher.dispatchSync(new OrderPlaced('o', 1));
    dispatcher.dispatchSync(new UserRegistered('u'));
    expect(mailer.calls).toEqual(['LOUD o', 'registered u', 'audit UserRegistered']);
  });

  it('adding the same instance twice is an error', () => {
    const dispatcher = new EventDispatcher();
    const mailer = new Mailer();
    dispatcher.addSubscriber(mailer);
    expect(() => dispatcher.addSubscriber(mailer)).toThrow(/Mailer instance is already added/);
  });

  it('an omitted class that cannot be read from the parameter type fails when the class is defined', () => {
    expect(() => {
      class Broken {
        @OnEvent()
        onSomething(_event: NotAClass) {}
      }
      return Broken;
    }).toThrow(SubscriberDefinitionError);
    expect(() => {
      class Primitive {
        @OnEvent()
        onName(_name: string) {}
      }
      return Primitive;
    }).toThrow(/Primitive\.onName: cannot determine the event class .*String/);
  });

  it('an omitted class without the Reflect metadata API loaded: an error naming reflect-metadata', () => {
    // tidings/dispatcher does not load the polyfill; a legacy decorator then cannot read the type.
    const reflect = Reflect as { getMetadata?: unknown };
    const getMetadata = reflect.getMetadata;
    delete reflect.getMetadata;
    try {
      const decorate = OnEvent() as (target: object, key: string, descriptor: PropertyDescriptor) => void;
      const prototype = { onPlaced(_event: OrderPlaced) {} };
      expect(() =>
        decorate(prototype, 'onPlaced', Object.getOwnPropertyDescriptor(prototype, 'onPlaced')!),
      ).toThrow(
        /onPlaced: cannot determine the event class: the Reflect metadata API is not loaded\. import 'reflect-metadata'/,
      );
    } finally {
      reflect.getMetadata = getMetadata;
    }
  });

  it('rejects @OnEvent on static methods', () => {
    expect(() => {
      class Static {
        @OnEvent(OrderPlaced)
        static onPlaced(_event: OrderPlaced) {}
      }
      return Static;
    }).toThrow(/static methods cannot be listeners/);
  });

  it('rejects a bad decorator priority and unknown options at once', () => {
    expect(() => OnEvent(OrderPlaced, { priority: 1.5 })).toThrow(
      /priority must be an integer, got number 1.5/,
    );
    expect(() => OnEvent(OrderPlaced, { priorty: 1 } as never)).toThrow(/unknown option "priorty"/);
  });
});

describe('subscribers with getSubscribedEvents()', () => {
  it('registers method, [method, priority] and [[m1, p1], [m2, p2]] entries', async () => {
    const dispatcher = new EventDispatcher();
    const billing = new Billing();
    dispatcher.addSubscriber(billing);
    dispatcher.on(UserRegistered, () => void billing.calls.push('plain'));
    await dispatcher.dispatch(new OrderPlaced('o', 42));
    await dispatcher.dispatch(new UserRegistered('u'));
    await dispatcher.dispatch('user.login', undefined);
    expect(billing.calls).toEqual(['charge 42', 'account u', 'plain', 'greet', 'log']);
  });

  it('a subscriber may combine decorators and getSubscribedEvents()', () => {
    class Both {
      calls: string[] = [];
      getSubscribedEvents(): SubscribedEvents<Both> {
        return [[OrderPlaced, 'declared']];
      }
      @OnEvent(OrderPlaced, { priority: 1 })
      decorated() {
        this.calls.push('decorated');
      }
      declared() {
        this.calls.push('declared');
      }
    }
    const dispatcher = new EventDispatcher();
    const both = new Both();
    dispatcher.addSubscriber(both);
    dispatcher.dispatchSync(new OrderPlaced('o', 1));
    expect(both.calls).toEqual(['decorated', 'declared']);
  });

  it('a missing method is a SubscriberDefinitionError naming it, and nothing is registered', () => {
    const dispatcher = new EventDispatcher();
    const broken = {
      getSubscribedEvents: () => [
        [OrderPlaced, 'exists'],
        [UserRegistered, 'mising'],
      ],
      exists() {},
    };
    let caught: unknown;
    try {
      dispatcher.addSubscriber(broken);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SubscriberDefinitionError);
    expect(caught).toBeInstanceOf(TypeError);
    expect(caught).toMatchObject({ code: 'ERR_TIDINGS_SUBSCRIBER_DEFINITION' });
    expect((caught as Error).message).toContain('has no method "mising" to receive UserRegistered');
    expect(dispatcher.hasListeners()).toBe(false);
  });

  it('rejects malformed entries with a message naming the entry', () => {
    const dispatcher = new EventDispatcher();
    const cases: [unknown, RegExp][] = [
      ['nope', /must return a list of \[event, method\] pairs/],
      [[[OrderPlaced]], /\[0\] must be an \[event, method\] pair/],
      [[[42, 'm']], /the event must be a class or a name, got number 42/],
      [[[OrderPlaced, 7]], /expected 'method', \['method', priority\]/],
      [[[OrderPlaced, ['m', 1.5]]], /priority of m must be an integer/],
    ];
    for (const [entries, message] of cases) {
      expect(() => dispatcher.addSubscriber({ getSubscribedEvents: () => entries, m() {} })).toThrow(message);
    }
  });

  it('rejects what is not an object', () => {
    const dispatcher = new EventDispatcher();
    expect(() => dispatcher.addSubscriber(null as never)).toThrow(InvalidArgumentError);
  });
});
