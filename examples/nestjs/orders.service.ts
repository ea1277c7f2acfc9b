// A service that places orders in a transaction, and a listener of the event they record.
//
// Constructor parameters name their token with @Inject(...): tsx and esbuild, which run this example,
// do not emit decorator metadata. Compiled by `nest build` (tsc or SWC with emitDecoratorMetadata),
// `constructor(private readonly flusher: Flusher)` is enough.
// #region service
import { Inject, Injectable } from '@nestjs/common';
import { Flusher } from 'tidings';
import { OnEvent } from 'tidings/nestjs';
import { Order, OrderPlaced } from './events.js';

@Injectable()
export class OrdersService {
  constructor(@Inject(Flusher) private readonly flusher: Flusher) {}

  async place(id: string, total: number): Promise<void> {
    const order = new Order(id, total);
    order.place(); // recorded, not dispatched yet
    await this.flusher.transaction(async () => {
      // your writes go here, in the transaction (PgUnitOfWork, an ORM's unit of work…)
      return [order]; // released after the commit: dispatched, and written to the outbox for the broker
    });
  }
}

@Injectable()
export class Mailer {
  @OnEvent(OrderPlaced, { priority: 10 })
  confirm(event: OrderPlaced): void {
    console.log(`mailer: confirmation for ${event.orderId} sent`);
  }
}
// #endregion
