// requires: mysql
// Kysely and the transactional outbox on MySQL or MariaDB: the order row and its outbox row commit in one
// transaction, a relay publishes the row afterwards, and the warehouse (another service,
// examples/shop/warehouse.ts) consumes the event. A flush that throws writes and publishes nothing. The
// broker is the embedded one here; give the relay an AmqpTransport for RabbitMQ. MYSQL_URL defaults to the
// local server; the example's tables are dropped at the end.
import { warehouse } from './shop/warehouse.js'; // first: its queue is bound before the shop publishes
// #region kysely
import { Kysely, MysqlDialect, sql } from 'kysely';
import { createPool } from 'mysql2';
import { Bridge, EventDispatcher, Flusher, MemoryTransport, OutboxRelay } from 'tidings';
import { KyselyUnitOfWork } from 'tidings/kysely';
import { MysqlOutbox } from 'tidings/mysql';
import { Order, OrderPlaced } from './shop/order.js'; // an AggregateRoot that records OrderPlaced

interface Database {
  example_kysely_orders: { id: string; total: number };
}

const db = new Kysely<Database>({
  dialect: new MysqlDialect({
    pool: createPool({ uri: process.env['MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/test' }),
  }),
});
await sql`CREATE TABLE IF NOT EXISTS example_kysely_orders (id varchar(36) PRIMARY KEY, total int NOT NULL)`.execute(
  db,
);
const unitOfWork = new KyselyUnitOfWork(db); // work gets a Transaction<Database>; dialect from the SQL it compiles
const outbox = new MysqlOutbox({ unitOfWork, table: 'example_kysely_outbox' }); // default: tidings_outbox
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
  await trx.insertInto('example_kysely_orders').values({ id: order.id, total: order.total }).execute();
  return [order]; // its OrderPlaced goes into example_kysely_outbox in this same transaction
});
// #endregion

// A flush that throws: neither the order row nor its outbox row is written, nothing is published.
await flusher
  .transaction(async (trx) => {
    const declined = Order.place('o-2', 5000);
    await trx
      .insertInto('example_kysely_orders')
      .values({ id: declined.id, total: declined.total })
      .execute();
    if (declined.total > 1000) throw new Error('card declined');
    return [declined];
  })
  .catch((error: Error) => console.log(`rolled back: ${error.message}`));

await warehouse.received;
// The relay marks the row published once the broker has confirmed it, a moment after the delivery.
while ((await outbox.stats()).published !== 1) await new Promise((resolve) => setTimeout(resolve, 10));
const rows = await db.selectFrom('example_kysely_orders').select('id').execute();
console.log(`orders: ${rows.map((row) => row.id).join(', ')}`);
const { pending, published } = await outbox.stats();
console.log(`outbox: ${pending} pending, ${published} published`);

await relay.stop();
await bridge.close();
await transport.close();
await warehouse.close();
await sql`DROP TABLE example_kysely_orders, example_kysely_outbox, example_kysely_outbox_token`.execute(db);
await db.destroy(); // ends the pool: tidings only runs statements in Kysely's transactions
