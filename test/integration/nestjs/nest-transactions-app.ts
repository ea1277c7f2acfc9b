// The Nest application of nest-transactions.test.ts: TypeORM through @nestjs/typeorm, nestjs-cls with
// @nestjs-cls/transactional's TypeORM adapter, and TidingsModule with a PostgreSQL outbox and its relay.
// Compiled by SWC with legacy decorators and their metadata (vitest.config.ts), as a Nest application is.
import 'reflect-metadata';
import { Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import { ClsPluginTransactional } from '@nestjs-cls/transactional';
import { Propagation, Transactional, TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { ClsModule } from 'nestjs-cls';
import { DataSource, EntitySchema, type EntityManager, type FindOptionsWhere } from 'typeorm';
import { AggregateRoot, Flusher, MemoryBroker, MemoryTransport, OutboxRelay } from '../../../src/index.js';
import { OnEvent, TidingsModule, TransactionHostUnitOfWork } from '../../../src/nestjs.js';
import { PgOutbox } from '../../../src/postgres.js';
import { RecordedEventsSubscriber, TypeOrmUnitOfWork } from '../../../src/typeorm.js';
import { PG_URL } from '../../contract/sql/observer.js';

export class OrderPlaced {
  static eventName = 'order.placed';
  constructor(readonly orderId: string) {}
}

export class Order extends AggregateRoot {
  id!: string;
  total!: number;

  static place(id: string): Order {
    const order = Object.assign(new Order(), { id, total: 1 });
    order.recordEvent(new OrderPlaced(id));
    return order;
  }
}

export type TxHost = TransactionHost<TransactionalAdapterTypeOrm>;

/** The transaction id PostgreSQL gave the transaction `manager` runs in: equal ids, one transaction. */
export async function txid(manager: EntityManager): Promise<string> {
  const rows: { id: string }[] = await manager.query('SELECT txid_current()::text AS id');
  return rows[0]!.id;
}

/** A service as users write them: `@Transactional()` methods saving through `txHost.tx`. */
@Injectable()
export class OrdersService {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  @Transactional()
  async place(order: Order): Promise<string> {
    await this.txHost.tx.save(order);
    return txid(this.txHost.tx);
  }

  @Transactional()
  async placeThenFail(order: Order): Promise<void> {
    await this.txHost.tx.save(order);
    throw new Error('card declined');
  }

  /** Saves `outer`, then `inner` in a savepoint that fails; the failure is caught. */
  @Transactional()
  async placeWithFailingNested(outer: Order, inner: Order): Promise<void> {
    await this.txHost.tx.save(outer);
    await this.placeNestedThenFail(inner).catch(() => undefined);
  }

  @Transactional(Propagation.Nested)
  async placeNestedThenFail(order: Order): Promise<void> {
    await this.txHost.tx.save(order);
    throw new Error('nested failure');
  }

  /** `run` inside a `@Transactional()` method: for `flusher.transaction()` there. */
  @Transactional()
  async inside<T>(run: () => Promise<T>): Promise<T> {
    return run();
  }
}

/** What the listeners saw: each event, and whether its order row was committed when it ran. */
@Injectable()
export class Seen {
  readonly events: { orderId: string; committed: boolean }[] = [];
  /** Set by a test: run by the listener, inside the dispatch of RecordedEventsSubscriber. */
  onEvent: ((event: OrderPlaced) => Promise<void>) | undefined;
}

@Injectable()
export class OrderListener {
  constructor(
    private readonly seen: Seen,
    private readonly dataSource: DataSource,
  ) {}

  @OnEvent(OrderPlaced)
  async onPlaced(event: OrderPlaced): Promise<void> {
    // The data source's own manager: another connection, which sees only what was committed.
    // (FindOptionsWhere<Order> would also want AggregateRoot's members: the cast names the column only.)
    const where = { id: event.orderId } as FindOptionsWhere<Order>;
    const committed = (await this.dataSource.manager.countBy(Order, where)) === 1;
    this.seen.events.push({ orderId: event.orderId, committed });
    await this.seen.onEvent?.(event);
  }
}

/** The subscriber needs the Flusher, so it is registered once the container has made both. */
@Injectable()
export class RecordedEventsRegistration implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly flusher: Flusher<EntityManager>,
  ) {}

  onModuleInit(): void {
    this.dataSource.subscribers.push(new RecordedEventsSubscriber(this.flusher));
  }
}

export interface Tables {
  readonly orders: string;
  readonly outbox: string;
  readonly exchange: string;
}

export function orderSchema(table: string): EntitySchema<Pick<Order, 'id' | 'total'>> {
  return new EntitySchema<Pick<Order, 'id' | 'total'>>({
    name: 'Order',
    target: Order,
    tableName: table,
    columns: { id: { type: 'varchar', length: 36, primary: true }, total: { type: 'int' } },
  });
}

/** The application: the module graph users write, on the tables and the exchange of one test file. */
export async function createApp(tables: Tables, broker: MemoryBroker) {
  @Module({
    imports: [
      TypeOrmModule.forRoot({
        type: 'postgres',
        url: PG_URL,
        entities: [orderSchema(tables.orders)],
        extra: { max: 4 },
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
        inject: [DataSource, TransactionHost],
        useFactory: async (dataSource: DataSource, txHost: TxHost) => {
          const transport = new MemoryTransport({ broker });
          const outbox = new PgOutbox({
            unitOfWork: new TypeOrmUnitOfWork(dataSource),
            table: tables.outbox,
          });
          await outbox.ensureSchema(); // before the relay starts, at bootstrap
          return {
            transport,
            appId: 'nest-tx',
            unitOfWork: new TransactionHostUnitOfWork(txHost),
            // Listeners run with no transaction of the host, even when dispatched from TypeORM's commit.
            dispatchContext: (dispatch) => txHost.withoutTransaction(dispatch),
            forward: [{ event: OrderPlaced, routingKey: `${tables.exchange}.placed` }],
            outbox,
            relay: new OutboxRelay({ outbox, transport, pollIntervalMs: 50 }),
          };
        },
      }),
    ],
    providers: [OrdersService, Seen, OrderListener, RecordedEventsRegistration],
  })
  class AppModule {}

  // An application context (no HTTP): init() runs the lifecycle hooks, as NestFactory.create does.
  const app = await Test.createTestingModule({ imports: [AppModule] }).compile();
  app.useLogger(false);
  await app.init();
  return app;
}
