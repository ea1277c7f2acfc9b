// requires: mysql
// TypeORM's own transactions and the transactional outbox, with no flusher.transaction(): the
// RecordedEventsSubscriber writes the events recorded on the entities a transaction saves into the outbox
// right before its COMMIT, and dispatches them after it. A relay publishes the row, and the warehouse
// (another service, examples/shop/warehouse.ts) consumes the event. A transaction that throws writes and
// publishes nothing. MYSQL_URL defaults to the local server; the example's tables are dropped at the end.
import { warehouse } from './shop/warehouse.js'; // first: its queue is bound before the shop publishes
// #region typeorm-subscriber
import { Bridge, EventDispatcher, Flusher, MemoryTransport, OutboxRelay } from 'tidings';
import { MysqlOutbox } from 'tidings/mysql';
import { RecordedEventsSubscriber, TypeOrmUnitOfWork } from 'tidings/typeorm';
import { DataSource } from 'typeorm';
import { Order, OrderPlaced } from './shop/typeorm-order.js'; // an entity and AggregateRoot

const dataSource = await new DataSource({
  type: 'mysql',
  url: process.env['MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/test',
  entities: [Order],
}).initialize();
await dataSource.query(
  'CREATE TABLE IF NOT EXISTS example_typeorm_orders (id varchar(36) PRIMARY KEY, total int NOT NULL)',
);
const unitOfWork = new TypeOrmUnitOfWork(dataSource);
const outbox = new MysqlOutbox({ unitOfWork, table: 'example_typeorm_subscriber_outbox' });
await outbox.ensureSchema(); // or run mysqlOutboxSchemaSql() in a migration

const dispatcher = new EventDispatcher();
const flusher = new Flusher({ dispatcher, unitOfWork });
const transport = new MemoryTransport(); // or createTransport() from tidings/rabbitmq
const bridge = new Bridge({ dispatcher, transport, appId: 'shop' });
bridge.forward(OrderPlaced, { routingKey: 'order.placed' });
const relay = new OutboxRelay({ outbox, transport, pollIntervalMs: 200 }); // MySQL has no LISTEN: it polls
bridge.useOutbox(flusher, outbox, relay);
relay.start();

// An instance (it needs the Flusher), after initialize(), which replaces the list.
dataSource.subscribers.push(new RecordedEventsSubscriber(flusher));

// TypeORM's transaction, or a plain dataSource.manager.save(order) (TypeORM wraps it in one).
await dataSource.transaction(async (manager) => {
  await manager.save(Order.place('o-1', 42)); // its OrderPlaced goes into the outbox before COMMIT
});
// #endregion

// A transaction that throws: neither the order row nor its outbox row is written, nothing is published,
// and OrderPlaced is still recorded on the order.
const declined = Order.place('o-2', 5000);
await dataSource
  .transaction(async (manager) => {
    await manager.save(declined);
    if (declined.total > 1000) throw new Error('card declined');
  })
  .catch((error: Error) => console.log(`rolled back: ${error.message}`));
console.log(`still recorded on o-2: ${declined.peekEvents().length}`);

await warehouse.received;
// The relay marks the row published once the broker has confirmed it, a moment after the delivery.
while ((await outbox.stats()).published !== 1) await new Promise((resolve) => setTimeout(resolve, 10));
const rows = await dataSource.manager.find(Order);
console.log(`orders: ${rows.map((row) => row.id).join(', ')}`);
const { pending, published } = await outbox.stats();
console.log(`outbox: ${pending} pending, ${published} published`);

await relay.stop();
await bridge.close();
await transport.close();
await warehouse.close();
await dataSource.query(
  'DROP TABLE example_typeorm_orders, example_typeorm_subscriber_outbox, example_typeorm_subscriber_outbox_token',
);
await dataSource.destroy(); // the data source is yours: tidings only runs statements in its transactions
