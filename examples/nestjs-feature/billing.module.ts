// The billing feature: its consumers' settings and the events it publishes, declared where it lives.
// #region feature
import { Module } from '@nestjs/common';
import { TidingsModule } from 'tidings/nestjs';
import { Billing, KnownCustomerGuard } from './billing.consumer.js';
import { InvoiceIssued } from './events.js';

@Module({
  imports: [
    TidingsModule.forFeature({
      // For the @Consume methods of this module's providers; a decorator's own options win.
      consumerDefaults: { maxAttempts: 3, repeatDelaysMs: [100, 1000] },
      // Published by the application's bridge (and through its outbox, when it has one).
      forward: [{ event: InvoiceIssued, routingKey: 'invoice.issued' }],
    }),
  ],
  providers: [Billing, KnownCustomerGuard],
})
export class BillingModule {}
// #endregion
