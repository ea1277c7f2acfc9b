// requires: postgres
// The transactional outbox in PostgreSQL: the order row and its outbox row commit in one transaction,
// and a relay publishes the outbox row afterwards. The broker is the embedded one here; give the relay
// an AmqpTransport for RabbitMQ. DATABASE_URL defaults to the local server; the example's tables are
// dropped at the end.
import pg from 'pg';
import {
  AggregateRoot,
  Bridge,
  EventDispatcher,
  Flusher,
  MemoryTransport,
  OutboxRelay,
  type Transport,
} from 'tidings';
import { PgOutbox, PgUnitOfWork } from 'tidings/postgres';

class OrderPlaced {
  static eventName = 'order.placed';
  constructor(
    readonly id: string,
    readonly total: number,
  ) {}
}
class Order extends AggregateRoot {
  constructor(
    readonly id: string,
    readonly total: number,
  ) {
    super();
    this.recordEvent(new OrderPlaced(id, total));
  }
}

const transport: Transport = new MemoryTransport();
await transport.declare({ queues: [{ name: 'warehouse.orders' }] });
await transport.declare({
  exchanges: [{ name: 'order', type: 'topic' }],
  bindings: [{ exchange: 'order', queue: 'warehouse.orders', pattern: 'order.placed' }],
});
const dispatcher = new EventDispatcher();
const bridge = new Bridge({ dispatcher, transport, appId: 'shop' });
bridge.forward(OrderPlaced, { routingKey: 'order.placed' });
const order = new Order('o-1', 42);

// #region postgres-outbox
const pool = new pg.Pool({
  connectionString: process.env['DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/test',
});
await pool.query('CREATE TABLE IF NOT EXISTS example_orders (id text PRIMARY KEY, total numeric)');
const unitOfWork = new PgUnitOfWork({ pool }); // UnitOfWork<PoolClient>
const outbox = new PgOutbox({ pool, table: 'example_outbox' }); // default: public.tidings_outbox
await outbox.ensureSchema(); // or: npx tidings outbox migrate
const flusher = new Flusher({ dispatcher, unitOfWork });
const relay = new OutboxRelay({ outbox, transport });
bridge.useOutbox(flusher, outbox, relay);
relay.start();

await flusher.transaction(async (client) => {
  await client.query('INSERT INTO example_orders (id, total) VALUES ($1, $2)', [order.id, order.total]);
  return [order]; // its OrderPlaced goes into example_outbox in this same transaction
});
// #endregion

// The relay marks the row published once the broker has confirmed the message, a moment after the
// message is in the queue: wait for the mark, not only for the message.
while ((await outbox.stats()).published !== 1) {
  await new Promise((resolve) => setTimeout(resolve, 10));
}
console.log(`warehouse got ${(await transport.get('warehouse.orders'))?.content.toString()}`);
console.log(await outbox.stats());

await relay.stop();
await bridge.close();
await transport.close();
await pool.query('DROP TABLE example_orders, example_outbox');
await pool.end(); // the pool is yours: the unit of work and the outbox only borrow its clients
