// The application module: TypeORM's Nest module, nestjs-cls with @nestjs-cls/transactional's TypeORM
// adapter (what @Transactional() needs), and tidings with a PostgreSQL outbox in the same database.
// #region module
import { Module } from '@nestjs/common';
import { ClsPluginTransactional, TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import { ClsModule } from 'nestjs-cls';
import { MemoryTransport, OutboxRelay } from 'tidings';
import { TidingsModule, TransactionHostUnitOfWork } from 'tidings/nestjs';
import { PgOutbox } from 'tidings/postgres';
import { TypeOrmUnitOfWork } from 'tidings/typeorm';
import type { DataSource } from 'typeorm';
import { Order, OrderPlaced } from './order.entity.js';
import { Mailer, OrdersService, Warehouse } from './orders.service.js';
import { RecordedEvents } from './recorded-events.provider.js';

@Module({
  imports: [
    TypeOrmModule.forRoot({
      type: 'postgres',
      url: process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test',
      entities: [Order],
    }),
    ClsModule.forRoot({
      global: true,
      plugins: [
        new ClsPluginTransactional({
          adapter: new TransactionalAdapterTypeOrm({ dataSourceToken: getDataSourceToken() }),
        }),
      ],
    }),
    TidingsModule.forRootAsync({
      inject: [getDataSourceToken(), TransactionHost],
      useFactory: async (dataSource: DataSource, txHost: TransactionHost<TransactionalAdapterTypeOrm>) => {
        const transport = new MemoryTransport(); // createTransport() from 'tidings/rabbitmq' for RabbitMQ
        // The outbox runs its statements in the transaction it is handed (TypeORM's EntityManager).
        const outbox = new PgOutbox({
          unitOfWork: new TypeOrmUnitOfWork(dataSource),
          table: 'example_outbox_nestjs',
        });
        await outbox.ensureSchema(); // or pgOutboxSchemaSql() in a migration
        return {
          transport,
          appId: 'shop',
          // flusher.transaction() in a transaction of the TransactionHost: the services it calls join it.
          unitOfWork: new TransactionHostUnitOfWork(txHost),
          // Listeners run outside the committed transaction: the @Transactional() methods they call begin
          // their own (RecordedEventsSubscriber dispatches from inside TypeORM's commit).
          dispatchContext: (dispatch) => txHost.withoutTransaction(dispatch),
          forward: [{ event: OrderPlaced, routingKey: 'order.placed' }],
          outbox,
          relay: new OutboxRelay({ outbox, transport, pollIntervalMs: 200 }), // no pg pool: it polls
        };
      },
    }),
  ],
  providers: [OrdersService, Mailer, Warehouse, RecordedEvents],
})
export class AppModule {}
// #endregion
