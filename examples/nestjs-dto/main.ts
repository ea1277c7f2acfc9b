// @Consume with a class-validator DTO (class-validator and class-transformer installed), on the
// in-memory broker: a valid order is charged; an invalid one is dead-lettered at once, its reason
// naming each failed property and constraint, and the handler never sees it.
// #region main
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Bridge, DeadLetters, MemoryTransport, Publisher, type SettledOutcome } from 'tidings';
import { TidingsModule } from 'tidings/nestjs';
import { Billing } from './billing.consumer.js';

const transport = new MemoryTransport(); // createTransport() from 'tidings/rabbitmq' for RabbitMQ

@Module({ imports: [TidingsModule.forRoot({ transport, appId: 'billing' })], providers: [Billing] })
class AppModule {}

const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error'] });
const settled: SettledOutcome[] = [];
app.get(Bridge).on('settled', (outcome) => settled.push(outcome));

const publisher = new Publisher(transport, { appId: 'shop' });
await publisher.send({ orderId: 'o-1', total: 42, lines: [{ sku: 'tea', quantity: 2 }] }, 'order.placed');
await publisher.send({ orderId: 'o-2', total: -5, lines: [{ sku: 'tea', quantity: 0 }] }, 'order.placed');
// #endregion

while (settled.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
for (const outcome of settled) {
  const reason = outcome.outcome === 'dead-lettered' ? ` (${outcome.reason})` : '';
  console.log(`${outcome.queue}: ${outcome.outcome}${reason} on attempt ${outcome.attempt}`);
}
for (const deadLetter of await new DeadLetters(transport, { appId: 'billing' }).list()) {
  console.log(`dead letter: ${deadLetter.error?.message}`);
}
await app.close();
