// The root module: forRoot once, here; each feature module brings its own consumers and routes.
// #region module
import { Module } from '@nestjs/common';
import { MemoryTransport } from 'tidings';
import { TidingsModule } from 'tidings/nestjs';
import { AccountingModule } from './accounting.module.js';
import { BillingModule } from './billing.module.js';
import { OrderPlaced } from './events.js';

@Module({
  imports: [
    TidingsModule.forRoot({
      transport: new MemoryTransport(), // createTransport() from 'tidings/rabbitmq' for RabbitMQ
      appId: 'shop',
      forward: [{ event: OrderPlaced, routingKey: 'order.placed' }],
    }),
    BillingModule,
    AccountingModule,
  ],
})
export class AppModule {}
// #endregion
