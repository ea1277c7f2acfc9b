// The domain of the Nest example: an order records OrderPlaced when it is placed.
import { AggregateRoot } from 'tidings';

export class OrderPlaced {
  static eventName = 'order.placed';
  constructor(
    readonly orderId: string,
    readonly total: number,
  ) {}
}

export class Order extends AggregateRoot {
  constructor(
    readonly id: string,
    readonly total: number,
  ) {
    super();
  }
  place(): void {
    this.recordEvent(new OrderPlaced(this.id, this.total));
  }
}
