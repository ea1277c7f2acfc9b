// Another feature, without forFeature: its consumer keeps the Consumer's defaults.
import { Injectable, Module } from '@nestjs/common';
import { Consume } from 'tidings/nestjs';
import { InvoiceIssued } from './events.js';

@Injectable()
export class Ledger {
  @Consume({ queue: 'accounting.invoices', bindingKeys: ['invoice.issued'], event: InvoiceIssued })
  book(invoice: InvoiceIssued): void {
    console.log(`accounting: booked the invoice of ${invoice.orderId} (${invoice.total})`);
  }
}

@Module({ providers: [Ledger] })
export class AccountingModule {}
