// The order of the example: a TypeORM entity and an AggregateRoot, which records OrderPlaced when placed.
// AggregateRoot keeps the recorded events beside the instance, never on it: TypeORM sees the columns only.
// #region entity
import 'reflect-metadata';
import { AggregateRoot } from 'tidings';
import { Column, Entity, PrimaryColumn } from 'typeorm';

export class OrderPlaced {
  static eventName = 'order.placed';
  constructor(
    readonly orderId: string,
    readonly total: number,
  ) {}
}

@Entity('example_orders_nestjs')
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
// #endregion
