// Feature modules with TidingsModule.forFeature (tidings/nestjs), on the in-memory broker: the billing
// module sets its consumers' defaults and forwards InvoiceIssued; its consumer runs behind a guard
// (enhancers: true), which refuses a blocked customer's order: dead-lettered, not repeated. The
// accounting module books the invoices.
import { NestFactory } from '@nestjs/core';
import { Bridge, EventDispatcher, type SettledOutcome } from 'tidings';
import { AppModule } from './app.module.js';
import { OrderPlaced } from './events.js';

const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error'] });
const settled: SettledOutcome[] = [];
app.get(Bridge).on('settled', (outcome) => settled.push(outcome));

const dispatcher = app.get(EventDispatcher);
await dispatcher.dispatch(new OrderPlaced('o-1', 'c-1', 42));
await dispatcher.dispatch(new OrderPlaced('o-2', 'c-blocked', 99));

while (settled.length < 3) await new Promise((resolve) => setTimeout(resolve, 10));
// The messages settle side by side: listed by queue, then outcome.
const key = (outcome: SettledOutcome) => `${outcome.queue} ${outcome.outcome}`;
for (const outcome of settled.sort((a, b) => key(a).localeCompare(key(b)))) {
  const reason =
    outcome.outcome === 'dead-lettered' ? ` (${outcome.reason}: ${(outcome.error as Error).message})` : '';
  console.log(`${outcome.queue}: ${outcome.outcome}${reason} on attempt ${outcome.attempt}`);
}
await app.close();
console.log('closed');
