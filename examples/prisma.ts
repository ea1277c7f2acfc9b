// requires: mysql
// Prisma 7 (a driver adapter, interactive transactions) and the transactional outbox on MySQL or
// MariaDB: the order row and its outbox row commit in one `prisma.$transaction`, a relay publishes the
// row afterwards, and the warehouse (another service, a second bridge on the same broker) consumes the
// event. A flush that throws writes and publishes nothing. The broker is the embedded one here; give the
// relay an AmqpTransport for RabbitMQ. MYSQL_URL defaults to the local server; the example's tables are
// dropped at the end.
//
// The client is generated first from examples/prisma/schema.prisma (about two seconds, offline: the
// query compiler is in the npm package). In your code: `import { PrismaClient } from './generated/…'`.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PrismaMariaDb } from '@prisma/adapter-mariadb';
import { AggregateRoot, Bridge, EventDispatcher, Flusher, MemoryTransport, OutboxRelay } from 'tidings';
import { MysqlOutbox } from 'tidings/mysql';
import { PrismaUnitOfWork, type PrismaTransactionClient } from 'tidings/prisma';

/** What this example uses of the generated client (your generated types say the same and more). */
interface PrismaClient extends PrismaTransactionClient<PrismaClient> {
  order: {
    create(args: { data: { id: string; total: number } }): Promise<unknown>;
    findMany(): Promise<{ id: string }[]>;
  };
  $disconnect(): Promise<void>;
}

const require = createRequire(import.meta.url);
const schema = fileURLToPath(new URL('prisma/schema.prisma', import.meta.url));
// `generate` never runs the schema engine, so any file will do for the one the CLI would download.
await promisify(execFile)(
  process.execPath,
  [require.resolve('prisma/build/index.js'), 'generate', '--schema', schema],
  {
    env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: '/bin/false', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
  },
);
const { PrismaClient } = require('../test/.tmp/prisma/example/client/index.js') as {
  PrismaClient: new (options: { adapter: PrismaMariaDb }) => PrismaClient;
};

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

// #region prisma
const adapter = new PrismaMariaDb(process.env['MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/test');
const prisma = new PrismaClient({ adapter });
await prisma.$executeRawUnsafe(
  'CREATE TABLE IF NOT EXISTS example_prisma_orders (id varchar(36) PRIMARY KEY, total int NOT NULL)',
);
const unitOfWork = new PrismaUnitOfWork(prisma); // UnitOfWork<Prisma.TransactionClient>, dialect 'mysql'
const outbox = new MysqlOutbox({ unitOfWork, table: 'example_prisma_outbox' }); // default: tidings_outbox
await outbox.ensureSchema(); // or run mysqlOutboxSchemaSql() in a migration
const flusher = new Flusher({ dispatcher, unitOfWork });
const relay = new OutboxRelay({ outbox, transport, pollIntervalMs: 200 }); // MySQL has no LISTEN: it polls
bridge.useOutbox(flusher, outbox, relay);
relay.start();

const order = new Order('o-1', 42);
await flusher.transaction(async (tx) => {
  await tx.order.create({ data: { id: order.id, total: order.total } });
  return [order]; // its OrderPlaced goes into example_prisma_outbox in this same transaction
});
// #endregion

// A flush that throws: neither the order row nor its outbox row is written, nothing is published.
await flusher
  .transaction(async (tx) => {
    const declined = new Order('o-2', 5000);
    await tx.order.create({ data: { id: declined.id, total: declined.total } });
    if (declined.total > 1000) throw new Error('card declined');
    return [declined];
  })
  .catch((error: Error) => console.log(`rolled back: ${error.message}`));

await received;
// The relay marks the row published once the broker has confirmed it, a moment after the delivery.
while ((await outbox.stats()).published !== 1) await new Promise((resolve) => setTimeout(resolve, 10));
const rows = await prisma.order.findMany();
console.log(`orders: ${rows.map((row) => row.id).join(', ')}`);
const { pending, published } = await outbox.stats();
console.log(`outbox: ${pending} pending, ${published} published`);

await relay.stop();
await bridge.close();
await warehouseBridge.close();
await transport.close();
await warehouseTransport.close();
await prisma.$executeRawUnsafe(
  'DROP TABLE example_prisma_orders, example_prisma_outbox, example_prisma_outbox_token',
);
await prisma.$disconnect(); // the client is yours: tidings only runs statements in its transactions
