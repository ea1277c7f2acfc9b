import { describe, expect, it } from 'vitest';
import { EventDispatcher, OnEvent } from '../../src/index.js';
import { DomainEvent, OrderPlaced, UserRegistered } from './fixtures.js';

class Mailer {
  @OnEvent(OrderPlaced, { priority: 10 })
  onPlaced() {}
}

describe('introspection', () => {
  it('getListeners lists the call order with priority and owning subscriber, base classes included', () => {
    const dispatcher = new EventDispatcher();
    const mailer = new Mailer();
    function audit() {}
    dispatcher.on(DomainEvent, audit, { priority: 20 });
    dispatcher.addSubscriber(mailer);
    const once = () => {};
    dispatcher.once(UserRegistered, once);

    const placed = dispatcher.getListeners(OrderPlaced);
    expect(placed).toHaveLength(1);
    expect(placed[0]).toMatchObject({
      event: 'order.placed',
      name: 'Mailer.onPlaced',
      priority: 10,
      subscriber: mailer,
      listener: Mailer.prototype.onPlaced,
      once: false,
    });

    const registered = dispatcher.getListeners(UserRegistered);
    expect(registered.map((info) => [info.event, info.name, info.priority, info.once])).toEqual([
      ['DomainEvent', 'audit', 20, false],
      ['UserRegistered', 'once', 0, true],
    ]);
    expect(registered[0]!.subscriber).toBeUndefined();
  });

  it('hasListeners() is false again once every listener came and went', () => {
    const dispatcher = new EventDispatcher();
    const offs = [
      dispatcher.on(OrderPlaced, () => {}),
      dispatcher.on('user.login', () => {}),
      dispatcher.on(DomainEvent, () => {}, { priority: 5 }),
    ];
    expect(dispatcher.hasListeners()).toBe(true);
    offs[0]!();
    offs[2]!();
    expect(dispatcher.hasListeners()).toBe(true);
    offs[1]!();
    expect(dispatcher.hasListeners()).toBe(false);
  });

  it('hasListeners accounts for base classes and for string names', () => {
    const dispatcher = new EventDispatcher();
    expect(dispatcher.hasListeners()).toBe(false);
    dispatcher.on(DomainEvent, () => {});
    dispatcher.on('user.login', () => {});
    expect(dispatcher.hasListeners(UserRegistered)).toBe(true);
    expect(dispatcher.hasListeners(OrderPlaced)).toBe(false);
    expect(dispatcher.hasListeners('user.login')).toBe(true);
    expect(dispatcher.hasListeners('user.logout')).toBe(false);
  });

  it('describeListeners prints every registration per event in call order', () => {
    const dispatcher = new EventDispatcher();
    expect(dispatcher.describeListeners()).toBe('No listeners registered.');
    dispatcher.addSubscriber(new Mailer());
    dispatcher.on(OrderPlaced, function ship() {}, { priority: -5 });
    dispatcher.once('user.login', () => {});
    expect(dispatcher.describeListeners()).toBe(
      [
        'Event         #   Priority  Listener',
        '------------  --  --------  ---------------------------',
        'order.placed  #1  10        Mailer.onPlaced',
        '              #2  -5        ship',
        'user.login    #1  0         (anonymous listener) (once)',
      ].join('\n'),
    );
  });
});
