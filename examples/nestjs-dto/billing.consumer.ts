// A consumer whose event class is a DTO: the handler runs only for a payload that passes its
// validation, and receives a PlaceOrderDto (lines included as OrderLineDto instances).
// #region consume
import { Injectable } from '@nestjs/common';
import { Consume } from 'tidings/nestjs';
import { PlaceOrderDto } from './order.dto.js';

@Injectable()
export class Billing {
  @Consume({
    queue: 'billing.orders',
    bindingKeys: ['order.placed'],
    event: PlaceOrderDto, // validated by class-validator: an invalid payload is dead-lettered
    // validation: { whitelist: true, forbidNonWhitelisted: false } (the default)
  })
  charge(order: PlaceOrderDto): void {
    const items = order.lines.reduce((sum, line) => sum + line.quantity, 0);
    console.log(`billing: charged ${order.total} for ${order.orderId} (${items} items)`);
  }
}
// #endregion
