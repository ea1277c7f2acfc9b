// requires: postgres
// tidings in a NestJS application with TypeORM's Nest module and @nestjs-cls/transactional: a
// @Transactional() service method saves an order; RecordedEventsSubscriber writes its OrderPlaced to the
// outbox in that transaction, before COMMIT, and dispatches it after (the mailer); the relay publishes the
// row and the warehouse consumes it. A method that throws writes and publishes nothing.
// DATABASE_URL defaults to the local server; the example's tables are dropped at the end.
import { NestFactory } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppModule } from './app.module.js';
import { OrdersService } from './orders.service.js';

const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error'] });
const dataSource = app.get<DataSource>(getDataSourceToken());
await dataSource.query(
  'CREATE TABLE IF NOT EXISTS example_orders_nestjs (id varchar(36) PRIMARY KEY, total int NOT NULL)',
);
// #region main
const orders = app.get(OrdersService);
await orders.place('o-1', 42); // committed: mailed, then published and consumed
await orders.place('o-2', 25_000).catch((error: Error) => console.log(`rolled back: ${error.message}`));
// #endregion

const published = async (): Promise<number> => {
  const rows: { count: number }[] = await dataSource.query(
    'SELECT count(*)::int AS count FROM example_outbox_nestjs WHERE published_at IS NOT NULL',
  );
  return rows[0]?.count ?? 0;
};
while ((await published()) < 1) await new Promise((resolve) => setTimeout(resolve, 20));
const rows: { id: string }[] = await dataSource.query('SELECT id FROM example_orders_nestjs ORDER BY id');
console.log(`orders: ${rows.map((row) => row.id).join(', ')}`);

await app.close(); // consumers, relay, transport; then TypeORM's module closes the data source
// The tables are dropped once the relay has stopped, on a connection of the example's own.
const cleanup = await new DataSource({ ...dataSource.options, entities: [] }).initialize();
await cleanup.query('DROP TABLE example_orders_nestjs, example_outbox_nestjs');
await cleanup.destroy();
console.log('closed');
