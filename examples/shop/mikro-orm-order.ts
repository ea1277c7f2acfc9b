// The order of examples/shop/order.ts as a MikroORM entity (examples/mikro-orm.ts). AggregateRoot keeps the
// recorded events beside the instance, never on it: MikroORM sees the properties only.
import 'reflect-metadata';
import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { AggregateRoot } from 'tidings';
import { OrderPlaced } from './order.js';

export { OrderPlaced };

@Entity({ tableName: 'example_mikro_orm_orders' })
export class Order extends AggregateRoot {
  @PrimaryKey({ type: 'string', length: 36 })
  id!: string;

  @Property({ type: 'integer' })
  total!: number;

  /** A new order, which records OrderPlaced (MikroORM may build the orders it loads without arguments). */
  static place(id: string, total: number): Order {
    const order = Object.assign(new Order(), { id, total });
    order.recordEvent(new OrderPlaced(id, total));
    return order;
  }
}
