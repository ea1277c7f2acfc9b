// requires: mysql
// Knex and the transactional outbox on MySQL or MariaDB: the order row and its outbox row commit in
// your Knex transaction, a relay publishes the row afterwards, and the warehouse (another service, a
// second bridge on the same broker) consumes the event. A flush that throws writes and publishes
// nothing. The broker is the embedded one here; give the relay an AmqpTransport for RabbitMQ. MYSQL_URL
// defaults to the local server; the example's tables are dropped at the end.
import knex from 'knex';
import { AggregateRoot, Bridge, EventDispatcher, Flusher, MemoryTransport, OutboxRelay } from 'tidings';
import { KnexUnitOfWork } from 'tidings/knex';
import { MysqlOutbox } from 'tidings/mysql';

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

// The warehouse: another service, consuming order.placed from the broker into its own dispatcher.
const warehouse = new EventDispatcher();
const received = new Promise<void>((resolve) =>
  warehouse.on(OrderPlaced, (event) => {
    console.log(`warehouse got ${event.id} (${event.total})`);
    resolve();
  }),
);
const warehouseTransport = new MemoryTransport();
const warehouseBridge = new Bridge({
  dispatcher: warehouse,
  transport: warehouseTransport,
  appId: 'warehouse',
});
warehouseBridge.consume({
  queue: 'warehouse.orders',
  bindingKeys: ['order.placed'],
  events: { 'order.placed': OrderPlaced },
});
await warehouseBridge.start();

// The shop.
const dispatcher = new EventDispatcher();
const transport = new MemoryTransport(); // or createTransport() from tidings/rabbitmq
const bridge = new Bridge({ dispatcher, transport, appId: 'shop' });
bridge.forward(OrderPlaced, { routingKey: 'order.placed' });

// #region knex
const db = knex({
  client: 'mysql2',
  connection: process.env['MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/test',
});
await db.raw('CREATE TABLE IF NOT EXISTS example_knex_orders (id varchar(36) PRIMARY KEY, total int)');
const unitOfWork = new KnexUnitOfWork(db); // UnitOfWork<Knex.Transaction>, dialect 'mysql' from the client
const outbox = new MysqlOutbox({ unitOfWork, table: 'example_knex_outbox' }); // default: tidings_outbox
await outbox.ensureSchema(); // or run mysqlOutboxSchemaSql() in a migration
const flusher = new Flusher({ dispatcher, unitOfWork });
const relay = new OutboxRelay({ outbox, transport, pollIntervalMs: 200 }); // MySQL has no LISTEN: it polls
bridge.useOutbox(flusher, outbox, relay);
relay.start();

const order = new Order('o-1', 42);
await flusher.transaction(async (trx) => {
  await trx('example_knex_orders').insert({ id: order.id, total: order.total });
  return [order]; // its OrderPlaced goes into example_knex_outbox in this same transaction
});
// #endregion

// A flush that throws: neither the order row nor its outbox row is written, nothing is published.
await flusher
  .transaction(async (trx) => {
    const declined = new Order('o-2', 5000);
    await trx('example_knex_orders').insert({ id: declined.id, total: declined.total });
    if (declined.total > 1000) throw new Error('card declined');
    return [declined];
  })
  .catch((error: Error) => console.log(`rolled back: ${error.message}`));

await received;
// The relay marks the row published once the broker has confirmed it, a moment after the delivery.
while ((await outbox.stats()).published !== 1) await new Promise((resolve) => setTimeout(resolve, 10));
const rows: { id: string }[] = await db('example_knex_orders').select('id');
console.log(`orders: ${rows.map((row) => row.id).join(', ')}`);
const { pending, published } = await outbox.stats();
console.log(`outbox: ${pending} pending, ${published} published`);

await relay.stop();
await bridge.close();
await warehouseBridge.close();
await transport.close();
await warehouseTransport.close();
await db.schema
  .dropTable('example_knex_orders')
  .dropTable('example_knex_outbox')
  .dropTable('example_knex_outbox_token');
await db.destroy(); // the Knex instance is yours: tidings only runs statements in its transactions
