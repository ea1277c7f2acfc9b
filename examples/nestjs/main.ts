// tidings in a NestJS application (tidings/nestjs), on the in-memory broker: a service places orders
// in a Flusher transaction, an @OnEvent listener mails after the commit, the outbox relay publishes
// OrderPlaced, an @Consume handler bills it (a declined card is dead-lettered and the application
// goes on) and a request-scoped one, resolved per message, sends a receipt. Then the application
// shuts down: consumers, relay, transport, in that order.
// #region main
import { NestFactory } from '@nestjs/core';
import { Bridge, type SettledOutcome } from 'tidings';
import { AppModule } from './app.module.js';
import { OrdersService } from './orders.service.js';

const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error'] });
app.enableShutdownHooks(); // SIGTERM: consumers drain, the relay stops, the transport closes

const settled: SettledOutcome[] = [];
app.get(Bridge).on('settled', (outcome) => settled.push(outcome));

const orders = app.get(OrdersService);
await orders.place('o-1', 42);
await orders.place('o-2', 25_000);
// #endregion

while (settled.length < 4) await new Promise((resolve) => setTimeout(resolve, 10));
// Two queues settle side by side: listed by queue, then in the order of the messages.
for (const outcome of settled.sort((a, b) => a.queue.localeCompare(b.queue))) {
  const reason = outcome.outcome === 'dead-lettered' ? ` (${outcome.reason})` : '';
  console.log(`${outcome.queue}: ${outcome.outcome}${reason} on attempt ${outcome.attempt}`);
}
await app.close();
console.log('closed');
