import { describe, expect, it } from 'vitest';
import { AggregateRoot, InvalidArgumentError, Recorder } from '../../src/index.js';

class Placed {
  constructor(readonly id: string) {}
}

class Order extends AggregateRoot {
  constructor(readonly id: string) {
    super();
  }
  place() {
    this.recordEvent(new Placed(this.id));
  }
}

class Entity {
  constructor(readonly table: string) {}
  save() {
    return `saved to ${this.table}`;
  }
}
class Customer extends Recorder(Entity) {
  constructor() {
    super('customers');
  }
}

describe('AggregateRoot and Recorder', () => {
  it('peekEvents shows, releaseEvents returns and clears, in record order', () => {
    const order = new Order('o-1');
    order.place();
    order.place();
    expect(order.peekEvents()).toHaveLength(2);
    expect(order.peekEvents()).toHaveLength(2);
    const released = order.releaseEvents();
    expect(released.map((e) => (e as Placed).id)).toEqual(['o-1', 'o-1']);
    expect(order.releaseEvents()).toEqual([]);
    expect(order.peekEvents()).toEqual([]);
  });

  it('peekEvents returns a copy that cannot change what is recorded', () => {
    const order = new Order('o');
    order.place();
    (order.peekEvents() as object[]).length = 0;
    expect(order.peekEvents()).toHaveLength(1);
  });

  it('the mixin keeps the base class working', () => {
    const customer = new Customer();
    customer.recordEvent(new Placed('c'));
    expect(customer.save()).toBe('saved to customers');
    expect(customer).toBeInstanceOf(Entity);
    expect(customer.releaseEvents()).toHaveLength(1);
  });

  it('recorded events are not fields of the aggregate (an ORM or JSON never sees them)', () => {
    const order = new Order('o');
    order.place();
    expect(Object.keys(order)).toEqual(['id']);
    expect(JSON.stringify(order)).toBe('{"id":"o"}');
  });

  it('rejects what is not an event object', () => {
    expect(() => new Order('o').recordEvent(null as never)).toThrow(InvalidArgumentError);
  });
});
