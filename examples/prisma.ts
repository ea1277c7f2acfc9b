// requires: mysql
// Prisma 7 (a driver adapter, interactive transactions) and the transactional outbox on MySQL or MariaDB:
// the order row and its outbox row commit in one transaction, a relay publishes the row afterwards, and
// the warehouse (another service, examples/shop/warehouse.ts) consumes the event. A flush that throws
// writes and publishes nothing. The broker is the embedded one here; give the relay an AmqpTransport for
// RabbitMQ. MYSQL_URL defaults to the local server; the example's tables are dropped at the end.
import { warehouse } from './shop/warehouse.js'; // first: its queue is bound before the shop publishes
// #region prisma
import { PrismaMariaDb } from '@prisma/adapter-mariadb';
import { Bridge, EventDispatcher, Flusher, MemoryTransport, OutboxRelay } from 'tidings';
import { MysqlOutbox } from 'tidings/mysql';
import { PrismaUnitOfWork } from 'tidings/prisma';
import { PrismaClient } from './shop/prisma-client.js'; // yours: from ./generated/prisma/client.js
import { Order, OrderPlaced } from './shop/order.js'; // an AggregateRoot that records OrderPlaced

const prisma = new PrismaClient({
  adapter: new PrismaMariaDb(process.env['MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/test'),
});
await prisma.$executeRawUnsafe(
  'CREATE TABLE IF NOT EXISTS example_prisma_orders (id varchar(36) PRIMARY KEY, total int NOT NULL)',
);
const unitOfWork = new PrismaUnitOfWork(prisma); // work gets the interactive transaction's tx
const outbox = new MysqlOutbox({ unitOfWork, table: 'example_prisma_outbox' }); // default: tidings_outbox
await outbox.ensureSchema(); // or run mysqlOutboxSchemaSql() in a migration

const dispatcher = new EventDispatcher();
const flusher = new Flusher({ dispatcher, unitOfWork });
const transport = new MemoryTransport(); // or createTransport() from tidings/rabbitmq
const bridge = new Bridge({ dispatcher, transport, appId: 'shop' });
bridge.forward(OrderPlaced, { routingKey: 'order.placed' });
const relay = new OutboxRelay({ outbox, transport, pollIntervalMs: 200 }); // MySQL has no LISTEN: it polls
bridge.useOutbox(flusher, outbox, relay);
relay.start();

// flusher.transaction runs prisma.$transaction(async (tx) => …): events recorded in it (Order.place
// records OrderPlaced) go into example_prisma_outbox through tx, and are dispatched after the commit.
await flusher.transaction(async (tx) => {
  const order = Order.place('o-1', 42);
  await tx.order.create({ data: { id: order.id, total: order.total } });
});
// #endregion

// A flush that throws: neither the order row nor its outbox row is written, nothing is published.
await flusher
  .transaction(async (tx) => {
    const declined = Order.place('o-2', 5000);
    await tx.order.create({ data: { id: declined.id, total: declined.total } });
    if (declined.total > 1000) throw new Error('card declined');
  })
  .catch((error: Error) => console.log(`rolled back: ${error.message}`));

await warehouse.received;
// The relay marks the row published once the broker has confirmed it, a moment after the delivery.
while ((await outbox.stats()).published !== 1) await new Promise((resolve) => setTimeout(resolve, 10));
const rows = await prisma.order.findMany();
console.log(`orders: ${rows.map((row) => row.id).join(', ')}`);
const { pending, published } = await outbox.stats();
console.log(`outbox: ${pending} pending, ${published} published`);

await relay.stop();
await bridge.close();
await transport.close();
await warehouse.close();
await prisma.$executeRawUnsafe(
  'DROP TABLE example_prisma_orders, example_prisma_outbox, example_prisma_outbox_token',
);
await prisma.$disconnect(); // the client is yours: tidings only runs statements in its transactions
