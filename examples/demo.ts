// npm run demo — a short story on the embedded defaults (no servers needed).
//
// Part 1: an order is placed and recorded on its aggregate; a Flusher commits the unit of work and only
// then dispatches the event to listeners with different priorities — one of which stops propagation for
// a suspicious order, so that no confirmation mail goes out. A rolled-back transaction dispatches nothing.
// Part 2: the shop forwards OrderPlaced to the broker through a transactional outbox: the flush writes
// the outbox row in the same transaction, and a relay publishes it after the commit. A second service,
// billing, consumes it. A handler that keeps failing is repeated, then dead-lettered with its reason.
//
// DATABASE_URL=postgresql://… npm run demo keeps the orders' transactions and the outbox in PostgreSQL
// (PgUnitOfWork, PgOutbox); without it, in memory (InMemoryUnitOfWork, MemoryOutbox).
// AMQP_URL=amqp://… npm run demo runs part 2 against RabbitMQ and Redis (REDIS_URL).
// The demo removes what it created on the servers: its outbox table, exchange, queues and dead letters.
import {
  AggregateRoot,
  Bridge,
  DeadLetters,
  Event,
  EventDispatcher,
  Flusher,
  InMemoryUnitOfWork,
  MemoryOutbox,
  MemoryRepeatCounter,
  MemoryTransport,
  OnEvent,
  OutboxRelay,
  type EventSubscriber,
  type OutboxStats,
  type SettledOutcome,
  type SubscribedEvents,
  type Transport,
} from 'tidings';
import { createTransport } from 'tidings/rabbitmq';
import { RedisRepeatCounter } from 'tidings/redis';
import { PgOutbox, PgUnitOfWork } from 'tidings/postgres';

const say = (text: string) => console.log(text);

// Events are plain classes. Extending Event adds stopPropagation().
class OrderPlaced extends Event {
  static eventName = 'order.placed';
  constructor(
    readonly orderId: string,
    readonly total: number,
  ) {
    super();
  }
}

class Order extends AggregateRoot {
  constructor(
    readonly id: string,
    readonly total: number,
  ) {
    super();
  }
  place(): void {
    this.recordEvent(new OrderPlaced(this.id, this.total));
  }
}

// A subscriber class with decorators…
class FraudCheck {
  @OnEvent(OrderPlaced, { priority: 100 })
  inspect(event: OrderPlaced): void {
    if (event.total > 10_000) {
      say(`  [100] fraud check: ${event.orderId} looks suspicious, stopping propagation (no mail)`);
      event.stopPropagation();
    } else {
      say(`  [100] fraud check: ${event.orderId} is fine`);
    }
  }
}

// …and one without, Symfony style.
class Mailer implements EventSubscriber {
  getSubscribedEvents(): SubscribedEvents<Mailer> {
    return [[OrderPlaced, ['sendConfirmation', 10]]];
  }
  async sendConfirmation(event: OrderPlaced): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 5)); // an asynchronous listener is awaited
    say(`  [ 10] mailer: confirmation for ${event.orderId} sent`);
  }
}

/** What the story needs of the shop's transactions, whichever storage they are in. */
interface ShopStorage {
  flusher: Pick<Flusher<unknown>, 'flush' | 'transaction'>;
  relay: OutboxRelay;
  stats(): Promise<OutboxStats>;
  where: string;
  /** Drops what the demo created, then closes. */
  close(): Promise<void>;
}

/**
 * The shop's unit of work and outbox, wired to its bridge: in PostgreSQL when DATABASE_URL is set, in
 * memory otherwise. Through the outbox, a flush writes the forwarded events' rows in its own
 * transaction, and the relay publishes them once committed.
 */
async function storage(
  dispatcher: EventDispatcher,
  shop: Bridge,
  transport: Transport,
): Promise<ShopStorage> {
  const url = process.env['DATABASE_URL'];
  if (url === undefined || url === '') {
    const flusher = new Flusher({ dispatcher, unitOfWork: new InMemoryUnitOfWork() });
    const outbox = new MemoryOutbox();
    const relay = new OutboxRelay({ outbox, transport });
    shop.useOutbox(flusher, outbox, relay);
    return { flusher, relay, stats: () => outbox.stats(), where: 'in memory', close: async () => {} };
  }
  const { default: pg } = await import('pg'); // pg is only needed here: an optional peer dependency
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  const outbox = new PgOutbox({ pool, table: 'tidings_demo_outbox' });
  await outbox.ensureSchema(); // what `tidings outbox migrate` does
  const flusher = new Flusher({ dispatcher, unitOfWork: new PgUnitOfWork({ pool }) });
  const relay = new OutboxRelay({ outbox, transport });
  shop.useOutbox(flusher, outbox, relay);
  return {
    flusher,
    relay,
    stats: () => outbox.stats(),
    where: `in PostgreSQL (table tidings_demo_outbox, DATABASE_URL ${new URL(url).host})`,
    close: async () => {
      await pool.query('DROP TABLE IF EXISTS tidings_demo_outbox'); // its sequence and indexes go with it
      await pool.end();
    },
  };
}

async function main(): Promise<void> {
  const dispatcher = new EventDispatcher();

  // The shop forwards OrderPlaced to the broker (RabbitMQ when AMQP_URL is set, else the embedded one)
  // through the outbox. The row is written before the local listeners run, so stopping propagation
  // does not hold it back. The routing key names the exchange: `demo`, the demo's own.
  const transport = createTransport();
  const onRabbitMq = !(transport instanceof MemoryTransport);
  const shop = new Bridge({ dispatcher, transport, appId: 'demo-shop' });
  shop.forward(OrderPlaced, { routingKey: 'demo.order.placed' });
  const { flusher, relay, stats, where, close: closeStorage } = await storage(dispatcher, shop, transport);
  relay.start();

  dispatcher.addSubscriber(new FraudCheck());
  dispatcher.addSubscriber(new Mailer());
  dispatcher.on(OrderPlaced, function analytics(event) {
    say(`  [  0] analytics: revenue +${event.total}`);
  });

  // Billing, a second service, consumes the shop's orders (from the same broker) into its own dispatcher.
  const billing = new EventDispatcher();
  const counter = onRabbitMq
    ? new RedisRepeatCounter({ url: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379' })
    : new MemoryRepeatCounter();
  const billingBridge = new Bridge({
    dispatcher: billing,
    transport,
    appId: 'demo-billing',
    repeatCounter: counter,
  });
  billingBridge.consume({
    queue: 'demo-billing.orders',
    bindingKeys: ['demo.order.placed'],
    events: { 'order.placed': OrderPlaced },
    maxAttempts: 3,
    repeatDelaysMs: [100, 200],
  });
  const outcomes: SettledOutcome[] = [];
  /** Waits until billing has finished with `count` messages (acked or dead-lettered). */
  const settled = async (count: number) => {
    while (outcomes.filter((outcome) => outcome.outcome !== 'repeated').length < count) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  billingBridge.on('settled', (outcome) => {
    outcomes.push(outcome);
    const detail =
      outcome.outcome === 'repeated'
        ? `repeated in ${outcome.delayMs} ms`
        : outcome.outcome === 'dead-lettered'
          ? `dead-lettered (${outcome.reason})`
          : 'acked';
    say(`  billing: message ${outcome.messageId.slice(0, 13)}… attempt ${outcome.attempt}: ${detail}`);
  });
  billing.on(OrderPlaced, (event) => {
    if (event.total > 10_000) return say(`  billing: ${event.orderId} held for manual review`);
    if (event.orderId === 'o-4') throw new Error('card declined');
    say(`  billing: charged ${event.total} for ${event.orderId}`);
  });
  await billingBridge.start();

  say(`Transactions and the outbox are ${where}.`);
  say(`Billing consumes demo.order.placed from ${onRabbitMq ? 'RabbitMQ' : 'the memory broker'}.`);
  say('Shop listeners, in call order:');
  say(
    dispatcher
      .describeListeners()
      .split('\n')
      .map((line) => `  ${line}`)
      .join('\n'),
  );

  say('\n1. Order o-1 (42.00) is placed and flushed:');
  const first = new Order('o-1', 42);
  first.place();
  say(`  recorded on the aggregate: ${first.peekEvents().length} event(s), nothing dispatched yet`);
  await flusher.flush(first);
  await settled(1);
  say('  (the order and its outbox row were committed together; the relay published the row after that)');

  say('\n2. Order o-2 (25,000.00) is placed and flushed:');
  const second = new Order('o-2', 25_000);
  second.place();
  await flusher.flush(second);
  await settled(2);

  say('\n3. Order o-3 is placed, but its transaction rolls back:');
  const third = new Order('o-3', 7);
  third.place();
  try {
    await flusher.transaction(async () => {
      throw new Error('payment row locked');
    });
  } catch (error) {
    say(`  rolled back (${(error as Error).message}): nothing dispatched, no outbox row`);
  }
  say(`  o-3 still holds ${third.peekEvents().length} recorded event(s) for a later flush`);

  say('\n4. Orders o-5 (paid) and o-4 (card declined) are flushed; billing repeats o-4, then gives up:');

  const paid = new Order('o-5', 42);
  const declined = new Order('o-4', 99);
  paid.place();
  declined.place();
  await flusher.flush(paid, declined);
  await settled(4);

  const deadLetters = new DeadLetters(transport, { appId: 'demo-billing' });
  for (const letter of await deadLetters.list()) {
    say(
      `  dead letter: ${letter.routingKey} from ${letter.queue}, ${letter.reason} after ${letter.attempts} attempts: ${letter.error?.message}`,
    );
  }
  await deadLetters.purge();
  const { published, pending } = await stats();
  say(`\nOutbox: ${published} row(s) published and kept for a day, ${pending} pending.`);

  // What the demo created, it closes and removes: first what uses the others, then what they used.
  await relay.stop();
  await billingBridge.close();
  await shop.close();
  await counter.close();
  for (const queue of [
    'demo-billing.orders',
    'demo-billing.orders.wait.100ms',
    'demo-billing.orders.wait.200ms',
    'demo-billing.dead-letters',
  ]) {
    await transport.deleteQueue(queue);
  }
  await transport.deleteExchange('demo-billing.dead-letter');
  await transport.deleteExchange('demo');
  await transport.close();
  await closeStorage();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
