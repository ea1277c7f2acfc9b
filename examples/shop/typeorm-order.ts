// The order of examples/shop/order.ts as a TypeORM entity (examples/typeorm.ts). AggregateRoot keeps the
// recorded events beside the instance, never on it: TypeORM sees the columns only.
import 'reflect-metadata';
import { AggregateRoot } from 'tidings';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { OrderPlaced } from './order.js';

export { OrderPlaced };

@Entity('example_typeorm_orders')
export class Order extends AggregateRoot {
  @PrimaryColumn('varchar', { length: 36 })
  id!: string;

  @Column('int')
  total!: number;

  /** A new order, which records OrderPlaced (TypeORM builds the orders it loads with no arguments). */
  static place(id: string, total: number): Order {
    const order = Object.assign(new Order(), { id, total });
    order.recordEvent(new OrderPlaced(id, total));
    return order;
  }
}
