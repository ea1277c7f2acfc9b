// Deferred events: aggregates record, the Flusher commits first and dispatches after.
import {
  AfterCommitError,
  AggregateRoot,
  EventDispatcher,
  Flusher,
  InMemoryUnitOfWork,
  Recorder,
} from 'tidings';

class OrderPlaced {
  constructor(readonly orderId: string) {}
}
class CustomerCharged {
  constructor(readonly customerId: string) {}
}

// #region aggregates
class Order extends AggregateRoot {
  constructor(readonly id: string) {
    super();
  }
  place(): void {
    this.recordEvent(new OrderPlaced(this.id));
  }
}

// A class that already extends something records events through the mixin.
class Entity {
  readonly createdAt = new Date(0);
}
class Customer extends Recorder(Entity) {
  constructor(readonly id: string) {
    super();
  }
  charge(): void {
    this.recordEvent(new CustomerCharged(this.id));
  }
}
// #endregion

// #region flush
const dispatcher = new EventDispatcher();
const unitOfWork = new InMemoryUnitOfWork();
const flusher = new Flusher({ dispatcher, unitOfWork });
dispatcher.on(OrderPlaced, (event) => console.log(`placed ${event.orderId}`));
dispatcher.on(CustomerCharged, (event) => console.log(`charged ${event.customerId}`));

const order = new Order('o-1');
const customer = new Customer('c-1');
order.place();
customer.charge();

// The callback form: do the writes in the transaction, return the roots to release after commit.
await flusher.transaction(async (tx) => {
  tx.onCommit(() => console.log('commit'));
  return [customer, order];
}); // commit, placed o-1, charged c-1 (record order, not root order)
// #endregion

// #region after-commit-error
// A listener failing after commit: the error says the write is durable, so do not retry it.
dispatcher.on(OrderPlaced, () => {
  throw new Error('mail server down');
});
order.place();
try {
  await flusher.flush(order);
} catch (error) {
  if (error instanceof AfterCommitError)
    console.log(`committed=${error.committed}: ${(error.cause as Error).message}`);
}
// #endregion
