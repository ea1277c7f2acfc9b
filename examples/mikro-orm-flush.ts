// requires: postgres
// MikroORM on PostgreSQL with em.flush() as the Flusher: FlushEventsSubscriber writes the events of the
// entities a flush saves to the outbox in the flush's own transaction, and dispatches them after the
// commit; a flush that fails writes and dispatches nothing and leaves the events on the entity. The
// warehouse (examples/shop/warehouse.ts) consumes the event through the embedded broker. DATABASE_URL
// defaults to the local server; the example's tables are dropped at the end.
import { warehouse } from './shop/warehouse.js'; // first: its queue is bound before the shop publishes
// #region mikro-orm-flush
import { MikroORM } from '@mikro-orm/postgresql';
import { Bridge, EventDispatcher, Flusher, MemoryTransport, OutboxRelay } from 'tidings';
import { FlushEventsSubscriber, MikroOrmUnitOfWork } from 'tidings/mikro-orm';
import { PgOutbox } from 'tidings/postgres';
import { Order, OrderPlaced } from './shop/mikro-orm-order.js'; // an entity and AggregateRoot

const orm = await MikroORM.init({
  clientUrl: process.env['DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/test',
  entities: [Order],
});
await orm.em
  .getConnection()
  .execute(
    'CREATE TABLE IF NOT EXISTS example_mikro_orm_orders (id varchar(36) PRIMARY KEY, total int NOT NULL)',
  );
const unitOfWork = new MikroOrmUnitOfWork(orm.em);
const outbox = new PgOutbox({ unitOfWork, table: 'example_mikro_orm_outbox' }); // default: tidings_outbox
await outbox.ensureSchema(); // or run pgOutboxSchemaSql() in a migration

const dispatcher = new EventDispatcher();
const flusher = new Flusher({ dispatcher, unitOfWork });
const transport = new MemoryTransport(); // or createTransport() from tidings/rabbitmq
const bridge = new Bridge({ dispatcher, transport, appId: 'shop' });
bridge.forward(OrderPlaced, { routingKey: 'order.placed' });
const relay = new OutboxRelay({ outbox, transport, pollIntervalMs: 200 });
bridge.useOutbox(flusher, outbox, relay);
relay.start();
orm.em.getEventManager().registerSubscriber(new FlushEventsSubscriber(flusher)); // or config `subscribers`

const em = orm.em.fork();
em.persist(Order.place('o-1', 42));
await em.flush(); // the order row and its outbox row commit together; then OrderPlaced is dispatched
// #endregion

// A flush that fails (the same primary key again): no row, no outbox row, the event stays on the entity.
const again = Order.place('o-1', 5000);
await orm.em
  .fork()
  .persist(again)
  .flush()
  .catch(() => console.log(`rolled back: o-1 exists; ${again.peekEvents().length} event(s) still recorded`));

await warehouse.received;
// The relay marks the row published once the broker has confirmed it, a moment after the delivery.
while ((await outbox.stats()).published !== 1) await new Promise((resolve) => setTimeout(resolve, 10));
const rows = await orm.em.fork().find(Order, {});
console.log(`orders: ${rows.map((row) => `${row.id} (${row.total})`).join(', ')}`);
const { pending, published } = await outbox.stats();
console.log(`outbox: ${pending} pending, ${published} published`);

await relay.stop();
await bridge.close();
await transport.close();
await warehouse.close();
await orm.em.getConnection().execute('DROP TABLE example_mikro_orm_orders, example_mikro_orm_outbox');
await orm.close(); // the ORM is yours: tidings only runs statements in its transactions
