// requires: mysql
// Drizzle and the transactional outbox on MySQL or MariaDB: the order row and its outbox row commit in one
// transaction, a relay publishes the row afterwards, and the warehouse (another service,
// examples/shop/warehouse.ts) consumes the event. A flush that throws writes and publishes nothing. The
// broker is the embedded one here; give the relay an AmqpTransport for RabbitMQ. MYSQL_URL defaults to the
// local server; the example's tables are dropped at the end.
import { warehouse } from './shop/warehouse.js'; // first: its queue is bound before the shop publishes
// #region drizzle
import { sql } from 'drizzle-orm';
import { int, mysqlTable, varchar } from 'drizzle-orm/mysql-core';
import { drizzle } from 'drizzle-orm/mysql2';
import mysql from 'mysql2/promise';
import { Bridge, EventDispatcher, Flusher, MemoryTransport, OutboxRelay } from 'tidings';
import { DrizzleUnitOfWork } from 'tidings/drizzle';
import { MysqlOutbox } from 'tidings/mysql';
import { Order, OrderPlaced } from './shop/order.js'; // an AggregateRoot that records OrderPlaced

const orders = mysqlTable('example_drizzle_orders', {
  id: varchar('id', { length: 36 }).primaryKey(),
  total: int('total').notNull(),
});

const pool = mysql.createPool({ uri: process.env['MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/test' });
const db = drizzle({ client: pool });
await db.execute(
  sql`CREATE TABLE IF NOT EXISTS example_drizzle_orders (id varchar(36) PRIMARY KEY, total int NOT NULL)`,
);
const unitOfWork = new DrizzleUnitOfWork(db); // work gets Drizzle's own tx; dialect: a MySqlDatabase
const outbox = new MysqlOutbox({ unitOfWork, table: 'example_drizzle_outbox' }); // default: tidings_outbox
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
await flusher.transaction(async (tx) => {
  await tx.insert(orders).values({ id: order.id, total: order.total });
  return [order]; // its OrderPlaced goes into example_drizzle_outbox in this same transaction
});
// #endregion

// A flush that throws: neither the order row nor its outbox row is written, nothing is published.
await flusher
  .transaction(async (tx) => {
    const declined = Order.place('o-2', 5000);
    await tx.insert(orders).values({ id: declined.id, total: declined.total });
    if (declined.total > 1000) throw new Error('card declined');
    return [declined];
  })
  .catch((error: Error) => console.log(`rolled back: ${error.message}`));

await warehouse.received;
// The relay marks the row published once the broker has confirmed it, a moment after the delivery.
while ((await outbox.stats()).published !== 1) await new Promise((resolve) => setTimeout(resolve, 10));
const rows = await db.select({ id: orders.id }).from(orders);
console.log(`orders: ${rows.map((row) => row.id).join(', ')}`);
const { pending, published } = await outbox.stats();
console.log(`outbox: ${pending} pending, ${published} published`);

await relay.stop();
await bridge.close();
await transport.close();
await warehouse.close();
await db.execute(
  sql`DROP TABLE example_drizzle_orders, example_drizzle_outbox, example_drizzle_outbox_token`,
);
await pool.end(); // the pool is yours: tidings only runs statements in Drizzle's transactions
