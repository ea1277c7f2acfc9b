// The README's second quick start: an aggregate records an event, the Flusher commits, then dispatches.
// #region quick-start
import { AggregateRoot, EventDispatcher, Flusher, InMemoryUnitOfWork } from 'tidings';

class OrderPlaced {
  constructor(readonly orderId: string) {}
}

class Order extends AggregateRoot {
  constructor(readonly id: string) {
    super();
  }
  place(): void {
    this.recordEvent(new OrderPlaced(this.id)); // recorded, not dispatched yet
  }
}

const dispatcher = new EventDispatcher();
dispatcher.on(OrderPlaced, (event) => console.log(`mail for ${event.orderId}`));
const flusher = new Flusher({ dispatcher, unitOfWork: new InMemoryUnitOfWork() }); // or PgUnitOfWork

const order = new Order('o-1');
order.place();
await flusher.transaction(async (tx) => {
  tx.onCommit(() => console.log('committed')); // your writes go here, in the transaction
  return [order]; // the roots whose events are released after the commit
}); // committed, then: mail for o-1

const rolledBack = new Order('o-2');
rolledBack.place();
await flusher.transaction(async () => Promise.reject(new Error('row locked'))).catch(() => {});
console.log(`o-2 still holds ${rolledBack.peekEvents().length} event(s); nothing was dispatched`);
// #endregion
