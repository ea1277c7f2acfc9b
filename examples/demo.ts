// npm run demo — a short story on the embedded defaults (no servers needed).
//
// An order is placed and recorded on its aggregate; a Flusher commits the unit of work and only then
// dispatches the event to listeners with different priorities — one of which stops propagation for a
// suspicious order. A rolled-back transaction dispatches nothing.
import {
  AggregateRoot,
  Event,
  EventDispatcher,
  Flusher,
  InMemoryUnitOfWork,
  OnEvent,
  type EventSubscriber,
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

  dispatcher.addSubscriber(new FraudCheck());
  dispatcher.addSubscriber(new Mailer());
  dispatcher.on(OrderPlaced, (event) => say(`  [  0] analytics: revenue +${event.total}`));

  say('Listeners, in call order:');
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
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
