// requires: mysql
// Knex and the transactional outbox on MySQL or MariaDB: the order row and its outbox row commit in one
// transaction, a relay publishes the row afterwards, and the warehouse (another service,
// examples/shop/warehouse.ts) consumes the event. A flush that throws writes and publishes nothing. The
// broker is the embedded one here; give the relay an AmqpTransport for RabbitMQ. MYSQL_URL defaults to the
// local server; the example's tables are dropped at the end.
import { warehouse } from './shop/warehouse.js'; // first: its queue is bound before the shop publishes
// #region knex
import knex from 'knex';
import { Bridge, EventDispatcher, Flusher, MemoryTransport, OutboxRelay } from 'tidings';
import { KnexUnitOfWork } from 'tidings/knex';
import { MysqlOutbox } from 'tidings/mysql';
import { Order, OrderPlaced } from './shop/order.js'; // an AggregateRoot that records OrderPlaced

const db = knex({
  client: 'mysql2',
  connection: process.env['MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/test',
});
await db.raw(
  'CREATE TABLE IF NOT EXISTS example_knex_orders (id varchar(36) PRIMARY KEY, total int NOT NULL)',
);
const unitOfWork = new KnexUnitOfWork(db); // work gets the Knex.Transaction; dialect 'mysql' from the client
const outbox = new MysqlOutbox({ unitOfWork, table: 'example_knex_outbox' }); // default: tidings_outbox
await outbox.ensureSchema(); // or run mysqlOutboxSchemaSql() in a migration

const dispatcher = new EventDispatcher();
const flusher = new Flusher({ dispatcher, unitOfWork });
const transport = new MemoryTransport(); // or createTransport() from tidings/rabbitmq
const bridge = new Bridge({ dispatcher, transport, appId: 'shop' });
bridge.forward(OrderPlaced, { routingKey: 'order.placed' });
const relay = new OutboxRelay({ outbox, transport, pollIntervalMs: 200 }); // MySQL has no LISTEN: it polls
bridge.useOutbox(flusher, outbox, relay);
relay.start();

const order = Order.place('o-1', 42);
await flusher.transaction(async (trx) => {
  await trx('example_knex_orders').insert({ id: order.id, total: order.total });
  return [order]; // its OrderPlaced goes into example_knex_outbox in this same transaction
});
// #endregion

// A flush that throws: neither the order row nor its outbox row is written, nothing is published.
await flusher
  .transaction(async (trx) => {
    const declined = Order.place('o-2', 5000);
    await trx('example_knex_orders').insert({ id: declined.id, total: declined.total });
    if (declined.total > 1000) throw new Error('card declined');
    return [declined];
  })
  .catch((error: Error) => console.log(`rolled back: ${error.message}`));

await warehouse.received;
// The relay marks the row published once the broker has confirmed it, a moment after the delivery.
while ((await outbox.stats()).published !== 1) await new Promise((resolve) => setTimeout(resolve, 10));
const rows: { id: string }[] = await db('example_knex_orders').select('id');
console.log(`orders: ${rows.map((row) => row.id).join(', ')}`);
const { pending, published } = await outbox.stats();
console.log(`outbox: ${pending} pending, ${published} published`);

await relay.stop();
await bridge.close();
await transport.close();
await warehouse.close();
await db.raw('DROP TABLE example_knex_orders, example_knex_outbox, example_knex_outbox_token');
await db.destroy(); // the Knex instance is yours: tidings only runs statements in its transactions
