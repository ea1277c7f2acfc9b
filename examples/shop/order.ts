// The shop's domain, shared by the ORM examples (examples/knex.ts…): an order that records OrderPlaced
// when it is placed. examples/shop/typeorm-order.ts and mikro-orm-order.ts are the same as entities.
import { AggregateRoot } from 'tidings';

export class OrderPlaced {
  static eventName = 'order.placed';
  constructor(
    readonly id: string,
    readonly total: number,
  ) {}
}

export class Order extends AggregateRoot {
  id!: string;
  total!: number;

  /** A new order, which records OrderPlaced (an ORM builds the orders it loads with no arguments). */
  static place(id: string, total: number): Order {
    const order = Object.assign(new Order(), { id, total });
    order.recordEvent(new OrderPlaced(id, total));
    return order;
  }
}
