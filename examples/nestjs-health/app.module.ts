// The application module: TerminusModule, tidings on the in-memory broker with an outbox and its
// relay, a consumer, and the health controller.
// #region module
import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { MemoryOutbox, MemoryTransport, OutboxRelay } from 'tidings';
import { Consume, TidingsModule } from 'tidings/nestjs';
import { HealthController } from './health.controller.js';

const transport = new MemoryTransport(); // createTransport() from 'tidings/rabbitmq' for RabbitMQ
const outbox = new MemoryOutbox(); // new PgOutbox({ pool }) in production

export class Billing {
  @Consume({ queue: 'billing.orders', bindingKeys: ['order.placed'] })
  bill(): void {}
}

@Module({
  imports: [
    TerminusModule,
    // `logger`: where the transport, consumers and relay report (default: Nest's Logger); pino fits.
    TidingsModule.forRoot({
      transport,
      appId: 'billing',
      outbox,
      relay: new OutboxRelay({ outbox, transport }),
    }),
  ],
  controllers: [HealthController],
  providers: [Billing],
})
export class AppModule {}
// #endregion
