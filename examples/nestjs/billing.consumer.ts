// A queue consumer: one tidings Consumer for the decorated method, started with the application.
// #region consume
import { Injectable } from '@nestjs/common';
import { NonRetryableError, type ConsumedMessage } from 'tidings';
import { Consume } from 'tidings/nestjs';
import { OrderPlaced } from './events.js';

@Injectable()
export class Billing {
  @Consume({
    queue: 'shop-billing.orders',
    bindingKeys: ['order.placed'],
    event: OrderPlaced, // the handler gets an OrderPlaced built from the payload
    maxAttempts: 3,
    repeatDelaysMs: [100],
  })
  async charge(event: OrderPlaced, message: ConsumedMessage): Promise<void> {
    if (event.total > 10_000) throw new NonRetryableError(`card declined for ${event.orderId}`);
    console.log(`billing: charged ${event.total} for ${event.orderId} (attempt ${message.attempt})`);
  }
}
// #endregion
