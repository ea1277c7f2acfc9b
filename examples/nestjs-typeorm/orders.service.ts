// A service whose @Transactional() methods save orders through the TransactionHost, a listener of the
// event they record, and a consumer of the message the relay publishes.
//
// Constructor parameters name their token (@InjectTransactionHost()…): tsx and esbuild, which run this
// example, do not emit decorator metadata. Compiled by `nest build` (tsc or SWC with
// emitDecoratorMetadata), `constructor(private readonly txHost: TransactionHost<…>)` is enough.
// #region service
import { Injectable } from '@nestjs/common';
import { InjectTransactionHost, Transactional, TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Consume, OnEvent } from 'tidings/nestjs';
import { Order, OrderPlaced } from './order.entity.js';

@Injectable()
export class OrdersService {
  constructor(
    @InjectTransactionHost() private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
  ) {}

  @Transactional()
  async place(id: string, total: number): Promise<void> {
    await this.txHost.tx.save(Order.place(id, total)); // OrderPlaced goes to the outbox before COMMIT
    if (total > 10_000) throw new Error(`card declined for ${id}`); // rolled back: no row, no event
  }
}

@Injectable()
export class Mailer {
  @OnEvent(OrderPlaced) // after the commit
  confirm(event: OrderPlaced): void {
    console.log(`mailer: confirmation for ${event.orderId} sent`);
  }
}

@Injectable()
export class Warehouse {
  @Consume({ queue: 'shop-warehouse.orders', bindingKeys: ['order.placed'], event: OrderPlaced })
  reserve(event: OrderPlaced): void {
    console.log(`warehouse got ${event.orderId} (${event.total})`);
  }
}
// #endregion
