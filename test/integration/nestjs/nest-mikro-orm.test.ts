// A Nest application on MikroORM's own Nest module (@mikro-orm/nestjs 6) against the local PostgreSQL:
// the MikroORM instance MikroOrmModule provides is injected into TidingsModule.forRootAsync, whose
// Flusher becomes em.flush() through FlushEventsSubscriber; a service that persists an aggregate and
// calls em.flush() never touches tidings. The order and its outbox row commit together, the event is
// dispatched after the commit, relayed once and consumed by a @Consume method; a flush that fails writes,
// dispatches and publishes nothing and leaves the event on the entity.
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { EntitySchema, MikroORM, type EntityManager } from '@mikro-orm/core';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { Inject, Injectable, Module, type INestApplicationContext, type OnModuleInit } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AggregateRoot,
  Flusher,
  MemoryBroker,
  MemoryTransport,
  OnEvent,
  OutboxRelay,
} from '../../../src/index.js';
import { FlushEventsSubscriber, MikroOrmUnitOfWork } from '../../../src/mikro-orm.js';
import { Consume, TidingsModule } from '../../../src/nestjs.js';
import { PgOutbox } from '../../../src/postgres.js';
import { createObserver, PG_URL, type Observer } from '../../contract/sql/observer.js';
import { waitFor } from '../../helpers/wait-for.js';
import { committedRows } from './committed-rows.js';

const hex = () => randomBytes(4).toString('hex');

class OrderPlaced {
  static eventName = 'order.placed';
  constructor(readonly orderId: string) {}
}

class Order extends AggregateRoot {
  id!: string;
  static place(id: string): Order {
    const order = Object.assign(new Order(), { id });
    order.recordEvent(new OrderPlaced(id));
    return order;
  }
}

const ordersTable = `nest_mikro_orders_${hex()}`;
const outboxTable = `tidings_outbox_${hex()}`;
const exchange = `nm${hex()}`;
const queue = `${exchange}.billing`;

/** Makes em.flush() the Flusher: the one line an application adds (or MikroORM's `subscribers` config). */
@Injectable()
class FlushEvents implements OnModuleInit {
  constructor(
    @Inject(MikroORM) private readonly orm: MikroORM,
    @Inject(Flusher) private readonly flusher: Flusher<EntityManager>,
  ) {}
  onModuleInit(): void {
    this.orm.em.getEventManager().registerSubscriber(new FlushEventsSubscriber(this.flusher));
  }
}

/** Plain MikroORM: nothing of tidings. */
@Injectable()
class OrdersService {
  constructor(@Inject(MikroORM) private readonly orm: MikroORM) {}
  async place(order: Order): Promise<void> {
    const em = this.orm.em.fork();
    em.persist(order);
    await em.flush();
  }
}

@Injectable()
class Dispatched {
  readonly ids: string[] = [];
  @OnEvent(OrderPlaced)
  onPlaced(event: OrderPlaced): void {
    this.ids.push(event.orderId);
  }
}

@Injectable()
class Billing {
  readonly ids: string[] = [];
  @Consume({ queue, bindingKeys: [`${exchange}.placed`], event: OrderPlaced })
  bill(event: OrderPlaced): void {
    this.ids.push(event.orderId);
  }
}

describe('NestJS with MikroOrmModule: em.flush() writes the outbox and dispatches after the commit', () => {
  let observer: Observer;
  let app: INestApplicationContext;

  beforeAll(async () => {
    observer = createObserver('postgres');
    await observer.query(`CREATE TABLE ${ordersTable} (id varchar(36) PRIMARY KEY)`);
    const schema = new EntitySchema<Order>({
      class: Order,
      tableName: ordersTable,
      properties: { id: { type: 'string', primary: true } },
    });

    @Module({
      imports: [
        MikroOrmModule.forRoot({
          driver: PostgreSqlDriver,
          clientUrl: PG_URL,
          entities: [schema],
          pool: { min: 0, max: 4 },
          registerRequestContext: false,
        }),
        TidingsModule.forRootAsync({
          inject: [MikroORM],
          useFactory: async (orm: MikroORM) => {
            const unitOfWork = new MikroOrmUnitOfWork(orm.em);
            const transport = new MemoryTransport({ broker: new MemoryBroker() });
            const outbox = new PgOutbox({ unitOfWork, table: outboxTable });
            await outbox.ensureSchema();
            return {
              transport,
              appId: exchange,
              unitOfWork,
              forward: [{ event: OrderPlaced, routingKey: `${exchange}.placed` }],
              outbox,
              relay: new OutboxRelay({ outbox, transport, pollIntervalMs: 50 }),
            };
          },
        }),
      ],
      providers: [FlushEvents, OrdersService, Dispatched, Billing],
    })
    class AppModule {}

    app = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app.useLogger(false);
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    await observer.query(`DROP TABLE IF EXISTS ${ordersTable}`);
    await observer.query(`DROP TABLE IF EXISTS ${outboxTable}`);
    await observer.close();
  });

  const rows = (id: string) => committedRows(observer, ordersTable, outboxTable, id);

  it('the order and its outbox row commit together; dispatched after the commit, consumed once', async () => {
    const id = `m-${hex()}`;
    await app.get(OrdersService).place(Order.place(id));
    expect(await rows(id)).toEqual({ orders: 1, outbox: 1 });
    expect(app.get(Dispatched).ids).toEqual([id]);
    await waitFor(() => app.get(Billing).ids.includes(id), 10_000, 'the consumed order');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(app.get(Billing).ids.filter((seen) => seen === id)).toHaveLength(1);
  });

  it('a flush that fails: no order, no outbox row, nothing dispatched, the event stays on the entity', async () => {
    const id = `d-${hex()}`;
    await app.get(OrdersService).place(Order.place(id));
    const again = Order.place(id); // the same primary key: the INSERT fails, the flush rolls back
    const dispatched = app.get(Dispatched).ids.length;
    await expect(app.get(OrdersService).place(again)).rejects.toThrow();
    expect(await rows(id)).toEqual({ orders: 1, outbox: 1 });
    expect(app.get(Dispatched).ids).toHaveLength(dispatched);
    expect(again.peekEvents()).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(app.get(Billing).ids.filter((seen) => seen === id)).toHaveLength(1);
  });
});
