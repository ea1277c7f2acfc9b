// The events of the feature-module example: the shop places orders, billing issues invoices.
export class OrderPlaced {
  static eventName = 'order.placed';
  constructor(
    readonly orderId: string,
    readonly customerId: string,
    readonly total: number,
  ) {}
}

export class InvoiceIssued {
  static eventName = 'invoice.issued';
  constructor(
    readonly orderId: string,
    readonly total: number,
  ) {}
}
