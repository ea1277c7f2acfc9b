// A Nest application on Prisma against the local PostgreSQL: PrismaUnitOfWork given to TidingsModule
// through forRootAsync (the client is a provider), a service writing in flusher.transaction(): the
// outbox row commits with the order, the event is dispatched after the commit and relayed once; a
// rollback writes, dispatches and publishes nothing. (Prisma has no hook that would let tidings see what
// a transaction of its own saves, as RecordedEventsSubscriber does for TypeORM: with Prisma, the
// transaction that records events is flusher.transaction().)
import { randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { PrismaPg } from '@prisma/adapter-pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AggregateRoot,
  Flusher,
  MemoryBroker,
  MemoryTransport,
  OnEvent,
  OutboxRelay,
} from '../../../src/index.js';
import { TidingsModule } from '../../../src/nestjs.js';
import { PgOutbox } from '../../../src/postgres.js';
import { PrismaUnitOfWork } from '../../../src/prisma.js';
import { createObserver, PG_URL, uniqueTable, type Observer } from '../../contract/sql/observer.js';
import { committedRows } from './committed-rows.js';
import { generatePrismaClient, type GeneratedPrismaClient } from '../sql/prisma-client.js';

class OrderPlaced {
  static eventName = 'order.placed';
  constructor(readonly orderId: string) {}
}

class Order extends AggregateRoot {
  constructor(readonly id: string) {
    super();
    this.recordEvent(new OrderPlaced(id));
  }
}

const PRISMA = Symbol('PrismaClient');
const ORDERS_TABLE = Symbol('orders table');

@Injectable()
class OrdersService {
  constructor(
    @Inject(Flusher) private readonly flusher: Flusher<GeneratedPrismaClient>,
    @Inject(ORDERS_TABLE) private readonly table: string,
  ) {}

  /** Places an order; `fail` throws after the insert, inside the transaction. */
  async place(id: string, fail = false): Promise<void> {
    await this.flusher.transaction(async (tx) => {
      const order = new Order(id); // recorded inside the flush: released after its commit
      await tx.$executeRawUnsafe(`INSERT INTO ${this.table} (id) VALUES ($1)`, order.id);
      if (fail) throw new Error('card declined');
    });
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

describe('NestJS with Prisma: PrismaUnitOfWork through forRootAsync, on PostgreSQL', () => {
  const orders = uniqueTable('nest_prisma_orders');
  const outboxTable = `tidings_outbox_${randomBytes(5).toString('hex')}`;
  const exchange = `ob${randomUUID().slice(0, 8)}`;
  const queue = `${exchange}.q`;
  const broker = new MemoryBroker();
  const reader = new MemoryTransport({ broker });
  let observer: Observer;
  let prisma: GeneratedPrismaClient;
  let app: INestApplicationContext;

  beforeAll(async () => {
    observer = createObserver('postgres');
    await observer.query(`CREATE TABLE ${orders} (id varchar(36) PRIMARY KEY)`);
    await reader.declare({
      exchanges: [{ name: exchange, type: 'topic' }],
      queues: [{ name: queue }],
      bindings: [{ queue, exchange, pattern: `${exchange}.placed` }],
    });
    const PrismaClient = await generatePrismaClient('postgresql', 'postgresql-nest');
    prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: PG_URL, max: 4 }) });

    @Module({
      providers: [{ provide: PRISMA, useValue: prisma }],
      exports: [PRISMA],
    })
    class PrismaModule {}

    @Module({
      imports: [
        TidingsModule.forRootAsync({
          imports: [PrismaModule],
          inject: [PRISMA],
          useFactory: async (client: GeneratedPrismaClient) => {
            const unitOfWork = new PrismaUnitOfWork(client);
            const transport = new MemoryTransport({ broker });
            const outbox = new PgOutbox({ unitOfWork, table: outboxTable });
            await outbox.ensureSchema();
            return {
              transport,
              unitOfWork,
              forward: [{ event: OrderPlaced, routingKey: `${exchange}.placed` }],
              outbox,
              relay: new OutboxRelay({ outbox, transport, pollIntervalMs: 50 }),
            };
          },
        }),
      ],
      providers: [OrdersService, Dispatched, { provide: ORDERS_TABLE, useValue: orders }],
    })
    class AppModule {}

    app = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app.useLogger(false);
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    await prisma?.$disconnect();
    await reader.close();
    await observer.query(`DROP TABLE IF EXISTS ${orders}`);
    await observer.query(`DROP TABLE IF EXISTS ${outboxTable}`);
    await observer.close();
  });

  const committed = (id: string) => committedRows(observer, orders, outboxTable, id);

  async function nextRelayed(): Promise<string | undefined> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const delivery = await reader.get(queue);
      if (delivery !== undefined) {
        delivery.ack();
        return (JSON.parse(delivery.content.toString('utf8')) as OrderPlaced).orderId;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return undefined;
  }

  it('commits the outbox row with the order, dispatches after the commit, relays it once', async () => {
    const id = `p-${randomBytes(4).toString('hex')}`;
    await app.get(OrdersService).place(id);
    expect(await committed(id)).toEqual({ orders: 1, outbox: 1 });
    expect(app.get(Dispatched).ids).toEqual([id]);
    expect(await nextRelayed()).toBe(id);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await reader.get(queue)).toBeUndefined();
  });

  it('a transaction that throws: no order, no outbox row, nothing dispatched', async () => {
    const id = `r-${randomBytes(4).toString('hex')}`;
    const dispatched = app.get(Dispatched).ids.length;
    await expect(app.get(OrdersService).place(id, true)).rejects.toThrow('card declined');
    expect(await committed(id)).toEqual({ orders: 0, outbox: 0 });
    expect(app.get(Dispatched).ids).toHaveLength(dispatched);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await reader.get(queue)).toBeUndefined();
  });
});
