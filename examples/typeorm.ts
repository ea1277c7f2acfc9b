// requires: mysql
// TypeORM and the transactional outbox on MySQL or MariaDB: the order entity and its outbox row commit in
// one transaction, a relay publishes the row afterwards, and the warehouse (another service, a second
// bridge on the same broker) consumes the event. A flush that throws writes and publishes nothing. The
// broker is the embedded one here; give the relay an AmqpTransport for RabbitMQ. MYSQL_URL defaults to
// the local server; the example's tables are dropped at the end.
import 'reflect-metadata';
import { AggregateRoot, Bridge, EventDispatcher, Flusher, MemoryTransport, OutboxRelay } from 'tidings';
import { MysqlOutbox } from 'tidings/mysql';
import { TypeOrmUnitOfWork } from 'tidings/typeorm';
import { Column, DataSource, Entity, PrimaryColumn } from 'typeorm';

class OrderPlaced {
  static eventName = 'order.placed';
  constructor(
    readonly id: string,
    readonly total: number,
  ) {}
}
@Entity('example_typeorm_orders')
class Order extends AggregateRoot {
  @PrimaryColumn('varchar', { length: 36 })
  id!: string;

  @Column('int')
  total!: number;

  /** A new order, which records OrderPlaced (the ORM builds loaded ones with no arguments). */
  static place(id: string, total: number): Order {
    const order = Object.assign(new Order(), { id, total });
    order.recordEvent(new OrderPlaced(id, total));
    return order;
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

// #region typeorm
const dataSource = new DataSource({
  type: 'mysql', // or 'mariadb'
  url: process.env['MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/test',
  entities: [Order],
});
await dataSource.initialize();
await dataSource.query(
  'CREATE TABLE IF NOT EXISTS example_typeorm_orders (id varchar(36) PRIMARY KEY, total int)',
);
const unitOfWork = new TypeOrmUnitOfWork(dataSource); // UnitOfWork<EntityManager>, dialect from options.type
const outbox = new MysqlOutbox({ unitOfWork, table: 'example_typeorm_outbox' }); // default: tidings_outbox
await outbox.ensureSchema(); // or run mysqlOutboxSchemaSql() in a migration
const flusher = new Flusher({ dispatcher, unitOfWork });
const relay = new OutboxRelay({ outbox, transport, pollIntervalMs: 200 }); // MySQL has no LISTEN: it polls
bridge.useOutbox(flusher, outbox, relay);
relay.start();

const order = Order.place('o-1', 42);
await flusher.transaction(async (manager) => {
  await manager.save(order);
  return [order]; // its OrderPlaced goes into example_typeorm_outbox in this same transaction
});
// #endregion

// A flush that throws: neither the order row nor its outbox row is written, nothing is published.
await flusher
  .transaction(async (manager) => {
    const declined = await manager.save(Order.place('o-2', 5000));
    if (declined.total > 1000) throw new Error('card declined');
    return [declined];
  })
  .catch((error: Error) => console.log(`rolled back: ${error.message}`));

await received;
// The relay marks the row published once the broker has confirmed it, a moment after the delivery.
while ((await outbox.stats()).published !== 1) await new Promise((resolve) => setTimeout(resolve, 10));
const rows = await dataSource.manager.find(Order);
console.log(`orders: ${rows.map((row) => row.id).join(', ')}`);
const { pending, published } = await outbox.stats();
console.log(`outbox: ${pending} pending, ${published} published`);

await relay.stop();
await bridge.close();
await warehouseBridge.close();
await transport.close();
await warehouseTransport.close();
await dataSource.query(
  'DROP TABLE example_typeorm_orders, example_typeorm_outbox, example_typeorm_outbox_token',
);
await dataSource.destroy(); // the data source is yours: tidings only runs statements in its transactions
