// The application module: tidings with an in-memory broker and outbox, and the example's providers.
// #region module
import { Module } from '@nestjs/common';
import { MemoryOutbox, MemoryTransport, OutboxRelay } from 'tidings';
import { TidingsModule } from 'tidings/nestjs';
import { Billing } from './billing.consumer.js';
import { OrderPlaced } from './events.js';
import { Mailer, OrdersService } from './orders.service.js';
import { Receipts } from './receipts.consumer.js';

const transport = new MemoryTransport(); // createTransport() from 'tidings/rabbitmq' for RabbitMQ
const outbox = new MemoryOutbox(); // new PgOutbox({ pool }) with a PgUnitOfWork in production

@Module({
  imports: [
    TidingsModule.forRoot({
      transport,
      appId: 'shop',
      forward: [{ event: OrderPlaced, routingKey: 'order.placed' }],
      outbox,
      relay: new OutboxRelay({ outbox, transport }),
    }),
  ],
  providers: [OrdersService, Mailer, Billing, Receipts],
})
export class AppModule {}
// #endregion
