import { Event } from '../../src/index.js';

export class OrderPlaced {
  static eventName = 'order.placed';
  constructor(
    readonly orderId: string,
    readonly total: number,
  ) {}
}

export class DomainEvent {
  readonly at = 0;
}
export class UserRegistered extends DomainEvent {
  constructor(readonly userId: string) {
    super();
  }
}
export class AdminRegistered extends UserRegistered {}

export class Stoppable extends Event {
  constructor(readonly id: string) {
    super();
  }
}
