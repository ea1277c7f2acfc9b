// A request-scoped consumer: Nest resolves a new instance (and new request-scoped dependencies) for
// each message, with the message as its REQUEST. (@Inject names the token: see orders.service.ts.)
// #region request-scoped
import { Inject, Injectable, Scope } from '@nestjs/common';
import { REQUEST } from '@nestjs/core';
import { Consume, type TidingsRequest } from 'tidings/nestjs';
import { OrderPlaced } from './events.js';

@Injectable({ scope: Scope.REQUEST })
export class Receipts {
  constructor(@Inject(REQUEST) private readonly request: TidingsRequest) {}

  @Consume({ queue: 'shop-receipts.orders', bindingKeys: ['order.placed'], event: OrderPlaced })
  send(event: OrderPlaced): void {
    const message = 'message' in this.request ? this.request.message : undefined;
    console.log(`receipts: receipt for ${event.orderId} (message on ${message?.queue})`);
  }
}
// #endregion
