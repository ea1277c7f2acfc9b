// npm run demo — a short story on the embedded defaults (no servers needed).
//
// Part 1: an order is placed and recorded on its aggregate; a Flusher commits the unit of work and only
// then dispatches the event to listeners with different priorities — one of which stops propagation for
// a suspicious order. A rolled-back transaction dispatches nothing.
// Part 2: the shop forwards OrderPlaced to the broker; a second service, billing, consumes it. A handler
// that keeps failing is repeated, then dead-lettered with its reason.
//
// MESSAGE_BROKER=rabbitmq npm run demo runs part 2 against RabbitMQ (AMQP_URL) and Redis (REDIS_URL).
import {
  AggregateRoot,
  Bridge,
  createTransport,
  DeadLetters,
  Event,
  EventDispatcher,
  Flusher,
  InMemoryUnitOfWork,
  MemoryRepeatCounter,
  OnEvent,
  RedisRepeatCounter,
  type EventSubscriber,
  type SettledOutcome,
  type SubscribedEvents,
} from 'tidings';

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
      say(`  [100] fraud check: ${event.orderId} looks suspicious, stopping propagation`);
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

async function main(): Promise<void> {
  const dispatcher = new EventDispatcher();
  const unitOfWork = new InMemoryUnitOfWork();
  const flusher = new Flusher({ dispatcher, unitOfWork });

  // The shop forwards OrderPlaced to the broker (memory unless MESSAGE_BROKER=rabbitmq). The forwarding
  // listener has priority 0: an order whose propagation was stopped is not sent either.
  const transport = createTransport();
  const onRabbitMq = process.env['MESSAGE_BROKER'] === 'rabbitmq';
  const shop = new Bridge({ dispatcher, transport, appId: 'demo-shop' });
  shop.forward(OrderPlaced, { routingKey: 'order.placed' });

  dispatcher.addSubscriber(new FraudCheck());
  dispatcher.addSubscriber(new Mailer());
  dispatcher.on(OrderPlaced, function analytics(event) {
    say(`  [  0] analytics: revenue +${event.total}`);
  });

  // Billing, a second service, consumes order.placed (from the same broker) into its own dispatcher.
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
    bind: ['order.placed'],
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
    if (event.orderId === 'o-4') throw new Error('card declined');
    say(`  billing: charged ${event.total} for ${event.orderId}`);
  });
  await billingBridge.start();

  say(`Billing consumes order.placed from ${onRabbitMq ? 'RabbitMQ' : 'the memory broker'}.`);
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
  say(`  committed transactions: ${unitOfWork.commits}`);
  await settled(1);

  say('\n2. Order o-2 (25,000.00) is placed and flushed:');
  const second = new Order('o-2', 25_000);
  second.place();
  await flusher.flush(second);

  say('\n3. Order o-3 is placed, but its transaction rolls back:');
  const third = new Order('o-3', 7);
  third.place();
  try {
    await flusher.transaction(async () => {
      throw new Error('payment row locked');
    });
  } catch (error) {
    say(`  rolled back (${(error as Error).message}): nothing dispatched`);
  }
  say(`  o-3 still holds ${third.peekEvents().length} recorded event(s) for a later flush`);

  say('\n4. Orders o-5 (paid) and o-4 (card declined) are flushed; billing repeats o-4, then gives up:');

  const paid = new Order('o-5', 42);
  const declined = new Order('o-4', 99);
  paid.place();
  declined.place();
  await flusher.flush(paid, declined);
  while (outcomes.filter((o) => o.outcome !== 'repeated').length < 3)
    await new Promise((r) => setTimeout(r, 20));

  const deadLetters = new DeadLetters(transport, { appId: 'demo-billing' });
  for (const letter of await deadLetters.list()) {
    say(
      `  dead letter: ${letter.routingKey} from ${letter.queue}, ${letter.reason} after ${letter.attempts} attempts: ${letter.error?.message}`,
    );
  }
  await deadLetters.purge();

  await billingBridge.close();
  await shop.close();
  await counter.close();
  if (onRabbitMq) {
    for (const queue of [
      'demo-billing.orders',
      'demo-billing.orders.wait.100ms',
      'demo-billing.orders.wait.200ms',
    ]) {
      await transport.deleteQueue(queue);
    }
  }
  await transport.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
