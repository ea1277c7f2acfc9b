// A consumer that asks for Nest's guards and interceptors: a guard refuses the orders of blocked
// customers (their messages are dead-lettered), and the charge dispatches InvoiceIssued, which the
// billing module forwards to the broker.
// #region consumer
import { Inject, Injectable, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { EventDispatcher } from 'tidings';
import { Consume } from 'tidings/nestjs';
import { InvoiceIssued, OrderPlaced } from './events.js';

@Injectable()
export class KnownCustomerGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    // context.getType() is 'rpc': getData() is the payload, getContext() the ConsumedMessage.
    return context.switchToRpc().getData<OrderPlaced>().customerId !== 'c-blocked';
  }
}

@Injectable()
export class Billing {
  constructor(@Inject(EventDispatcher) private readonly dispatcher: EventDispatcher) {}

  // enhancers: true runs the method through its guards and interceptors (off by default).
  @Consume({ queue: 'billing.orders', bindingKeys: ['order.placed'], event: OrderPlaced, enhancers: true })
  @UseGuards(KnownCustomerGuard)
  async charge(order: OrderPlaced): Promise<void> {
    console.log(`billing: charged ${order.total} for ${order.orderId}`);
    await this.dispatcher.dispatch(new InvoiceIssued(order.orderId, order.total));
  }
}
// #endregion
