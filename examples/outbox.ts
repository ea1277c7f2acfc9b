// The transactional outbox on the embedded defaults: a flush writes the forwarded events as outbox rows
// in its own transaction, and a relay publishes them after the commit. A rollback writes and publishes
// nothing. With PostgreSQL: examples/postgres-outbox.ts.
import {
  AggregateRoot,
  Bridge,
  EventDispatcher,
  Flusher,
  InMemoryUnitOfWork,
  MemoryOutbox,
  MemoryTransport,
  OutboxRelay,
} from 'tidings';

class OrderPlaced {
  static eventName = 'order.placed';
  constructor(readonly orderId: string) {}
}
class Order extends AggregateRoot {
  constructor(readonly id: string) {
    super();
  }
  place(): void {
    this.recordEvent(new OrderPlaced(this.id));
  }
}

const transport = new MemoryTransport();
await transport.declare({
  exchanges: [{ name: 'order', type: 'topic' }],
  queues: [{ name: 'warehouse.orders' }],
  bindings: [{ exchange: 'order', queue: 'warehouse.orders', pattern: 'order.placed' }],
});

// #region outbox
const dispatcher = new EventDispatcher();
const unitOfWork = new InMemoryUnitOfWork();
const flusher = new Flusher({ dispatcher, unitOfWork });
const outbox = new MemoryOutbox(); // the embedded default; PgOutbox in tidings/postgres
const relay = new OutboxRelay({ outbox, transport });
const bridge = new Bridge({ dispatcher, transport, appId: 'shop' });
bridge.forward(OrderPlaced, { routingKey: 'order.placed' });
bridge.useOutbox(flusher, outbox, relay); // forwarded events now go through the outbox
relay.on('published', ({ count }) => console.log(`relay: published ${count} row(s)`));
relay.start();

const order = new Order('o-1');
order.place();
await flusher.flush(order); // one transaction: your writes + the outbox rows; then local dispatch

const rolledBack = new Order('o-2');
rolledBack.place();
await flusher
  .transaction(async () => {
    throw new Error('payment row locked');
  })
  .catch((error: Error) => console.log(`rolled back: ${error.message}`)); // no row, nothing published
// #endregion

while ((await transport.queueStats('warehouse.orders'))?.messageCount !== 1) {
  await new Promise((resolve) => setTimeout(resolve, 5));
}
const message = await transport.get('warehouse.orders');
console.log(`warehouse got ${message?.content.toString()}`);
message?.ack();
console.log(await outbox.stats());

// #region shutdown
await relay.stop(); // finishes the batch in progress and gives its leases back
await bridge.close();
await transport.close();
// #endregion
