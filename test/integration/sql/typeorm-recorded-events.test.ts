// RecordedEventsSubscriber (tidings/typeorm) against the real databases: events recorded on entities
// saved in a TypeORM transaction are written to the outbox in it, before COMMIT, and dispatched after
// it; a rollback (thrown error, failed constraint, failed COMMIT, savepoint) writes and dispatches
// nothing and leaves them recorded; the relay publishes each committed event once.
import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource, EntitySchema, type EntityManager, type QueryRunner } from 'typeorm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AfterCommitError,
  AggregateRoot,
  Bridge,
  EventDispatcher,
  Flusher,
  InvalidArgumentError,
  MemoryBroker,
  MemoryTransport,
  OutboxRelay,
  TransactionStateError,
  type Delivery,
} from '../../../src/index.js';
import { MysqlOutbox } from '../../../src/mysql.js';
import { PgOutbox } from '../../../src/postgres.js';
import { RecordedEventsSubscriber, TypeOrmUnitOfWork } from '../../../src/typeorm.js';
import type { SqlDialect } from '../../../src/deferred/sql-unit-of-work.js';
import {
  createObserver,
  MYSQL_URL,
  PG_URL,
  uniqueTable,
  type Observer,
} from '../../contract/sql/observer.js';

class OrderPlaced {
  static eventName = 'order.placed';
  constructor(readonly orderId: string) {}
}

class Order extends AggregateRoot {
  id!: string;
  total!: number;
  code!: string | null;

  static place(id: string, code: string | null = null): Order {
    const order = Object.assign(new Order(), { id, total: 1, code });
    order.recordEvent(new OrderPlaced(id));
    return order;
  }
}

/** A primary key for one test: short enough for varchar(36), unique per run. */
const id = (what: string): string => `${what}-${randomBytes(4).toString('hex')}`;

const pending = (order: Order): string[] => order.peekEvents().map((event) => (event as OrderPlaced).orderId);

for (const dialect of ['postgres', 'mysql'] as const satisfies readonly SqlDialect[]) {
  describe(`RecordedEventsSubscriber on ${dialect}`, () => {
    const orders = uniqueTable('orders');
    const outboxTable = `tidings_outbox_${randomBytes(5).toString('hex')}`;
    const transport = new MemoryTransport({ broker: new MemoryBroker() });
    let observer: Observer;
    let source: DataSource;
    let outbox: PgOutbox<EntityManager> | MysqlOutbox<EntityManager>;

    beforeAll(async () => {
      observer = createObserver(dialect);
      // The unique code is checked at COMMIT on PostgreSQL (deferred), at the INSERT on MariaDB.
      await observer.query(
        `CREATE TABLE ${orders} (id varchar(36) PRIMARY KEY, total int NOT NULL, code varchar(36) NULL ` +
          (dialect === 'postgres' ? 'UNIQUE DEFERRABLE INITIALLY DEFERRED)' : 'UNIQUE)'),
      );
      const schema = new EntitySchema<Pick<Order, 'id' | 'total' | 'code'>>({
        name: 'Order',
        target: Order,
        tableName: orders,
        columns: {
          id: { type: 'varchar', length: 36, primary: true },
          total: { type: 'int' },
          code: { type: 'varchar', length: 36, nullable: true },
        },
      });
      source = await new DataSource(
        dialect === 'postgres'
          ? { type: 'postgres', url: PG_URL, entities: [schema], extra: { max: 4 } }
          : { type: 'mysql', url: MYSQL_URL, entities: [schema], extra: { connectionLimit: 4 } },
      ).initialize();
      const unitOfWork = new TypeOrmUnitOfWork(source);
      outbox =
        dialect === 'postgres'
          ? new PgOutbox({ unitOfWork, table: outboxTable })
          : new MysqlOutbox({ unitOfWork, table: outboxTable });
      await outbox.ensureSchema();
    });

    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0)) await cleanup();
    });

    afterAll(async () => {
      await transport.close();
      await source?.destroy();
      await observer.query(`DROP TABLE IF EXISTS ${orders}`);
      await observer.query(`DROP TABLE IF EXISTS ${outboxTable}`);
      if (dialect === 'mysql') await observer.query(`DROP TABLE IF EXISTS ${outboxTable}_token`);
      await observer.close();
    });

    /** A shop on the data source: the subscriber registered, OrderPlaced forwarded through the outbox. */
    async function shop(options: ConstructorParameters<typeof RecordedEventsSubscriber>[1] = {}) {
      const exchange = `ob${randomUUID().slice(0, 8)}`;
      const routingKey = `${exchange}.placed`;
      const queue = `${exchange}.q`;
      await transport.declare({
        exchanges: [{ name: exchange, type: 'topic' }],
        queues: [{ name: queue }],
        bindings: [{ queue, exchange, pattern: routingKey }],
      });
      const dispatcher = new EventDispatcher();
      const flusher = new Flusher({ dispatcher, unitOfWork: new TypeOrmUnitOfWork(source) });
      const bridge = new Bridge({ dispatcher, transport, appId: 'shop' });
      const relay = new OutboxRelay({ outbox, transport });
      bridge.forward(OrderPlaced, { routingKey }).useOutbox(flusher, outbox, relay);
      // The query runners the outbox wrote in, to check they are the transactions' own.
      const writtenIn: (QueryRunner | undefined)[] = [];
      flusher.addBeforeCommitHook((_events, manager) => void writtenIn.push(manager.queryRunner));
      const dispatched: string[] = [];
      dispatcher.on(OrderPlaced, (event) => void dispatched.push(event.orderId));
      const subscriber = new RecordedEventsSubscriber(flusher, options);
      source.subscribers.push(subscriber);
      /** The order ids in the queue now, acked. */
      const received = async (): Promise<string[]> => {
        const ids: string[] = [];
        for (let delivery: Delivery | undefined; (delivery = await transport.get(queue));) {
          delivery.ack();
          ids.push((JSON.parse(delivery.content.toString('utf8')) as OrderPlaced).orderId);
        }
        return ids.sort();
      };
      /** Relays what is pending, twice: the second must find nothing (published exactly once). */
      const relayed = async (): Promise<string[]> => {
        await relay.relayOnce();
        expect(await relay.relayOnce()).toBe(0);
        return received();
      };
      // Unregistered after each test, failed or not: a subscriber left behind would release the next
      // tests' events to its own dispatcher.
      cleanups.push(async () => {
        source.subscribers.splice(source.subscribers.indexOf(subscriber), 1);
        await bridge.close();
      });
      return { dispatcher, flusher, dispatched, writtenIn, relayed };
    }

    const committedIds = async (ids: string[]): Promise<string[]> =>
      (await observer.query<{ id: string }>(`SELECT id FROM ${orders}`))
        .map((row) => row.id)
        .filter((id) => ids.includes(id))
        .sort();

    it('dataSource.transaction(): writes in that transaction before COMMIT, dispatches after it', async () => {
      const { dispatcher, dispatched, writtenIn, relayed } = await shop();
      const order = Order.place(id('tx'));
      const committedWhenDispatched: string[][] = [];
      dispatcher.on(OrderPlaced, async (event) => {
        committedWhenDispatched.push(await committedIds([event.orderId]));
      });
      let runner: QueryRunner | undefined;
      await source.transaction(async (manager) => {
        runner = manager.queryRunner;
        await manager.save(order);
        expect(dispatched).toEqual([]);
      });
      expect(writtenIn).toEqual([runner]);
      expect(dispatched).toEqual([order.id]);
      expect(committedWhenDispatched).toEqual([[order.id]]);
      expect(pending(order)).toEqual([]);
      expect(await relayed()).toEqual([order.id]);
    });

    it('a plain manager.save() (TypeORM’s own transaction) writes and dispatches too, updates and removals as well', async () => {
      const { dispatched, writtenIn, relayed } = await shop();
      const order = Order.place(id('save'));
      const orderId = order.id; // remove() clears it
      await source.manager.save(order);
      expect(writtenIn).toHaveLength(1);
      order.total = 2;
      order.recordEvent(new OrderPlaced(`${order.id}-updated`));
      await source.manager.save(order);
      order.recordEvent(new OrderPlaced(`${order.id}-removed`));
      await source.manager.remove(order);
      expect(dispatched).toEqual([orderId, `${orderId}-updated`, `${orderId}-removed`]);
      expect(await relayed()).toEqual([orderId, `${orderId}-removed`, `${orderId}-updated`]);
    });

    it('a thrown error after the save writes nothing, dispatches nothing, keeps the events recorded', async () => {
      const { dispatched, writtenIn, relayed } = await shop();
      const order = Order.place(id('thrown'));
      const failure = new Error('card declined');
      await expect(
        source.transaction(async (manager) => {
          await manager.save(order);
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect(writtenIn).toEqual([]);
      expect(dispatched).toEqual([]);
      expect(pending(order)).toEqual([order.id]);
      expect(await committedIds([order.id])).toEqual([]);
      expect(await relayed()).toEqual([]);
    });

    it('a save failing at a constraint writes nothing and dispatches nothing', async () => {
      const { dispatched, relayed } = await shop();
      const first = Order.place(id('dup'));
      await source.manager.save(first);
      const again = Order.place(first.id); // the same primary key: the INSERT fails
      await expect(source.manager.insert(Order, again)).rejects.toThrow();
      await expect(
        source.transaction(async (manager) => {
          await manager.save(Order.place(`${first.id.slice(0, 20)}-other`));
          await manager.getRepository(Order).insert(again);
        }),
      ).rejects.toThrow();
      expect(dispatched).toEqual([first.id]);
      expect(pending(again)).toEqual([first.id]);
      expect(await relayed()).toEqual([first.id]);
    });

    it('refuses to write an entity with events in no transaction, before the write', async () => {
      const { dispatched } = await shop();
      const order = Order.place(id('no-tx'));
      await expect(source.manager.save(order, { transaction: false })).rejects.toBeInstanceOf(
        TransactionStateError,
      );
      expect(await committedIds([order.id])).toEqual([]);
      expect(pending(order)).toEqual([order.id]);
      // Without events there is nothing to lose: such a write goes through.
      order.releaseEvents();
      await source.manager.save(order, { transaction: false });
      expect(await committedIds([order.id])).toEqual([order.id]);
      expect(dispatched).toEqual([]);
    });

    if (dialect === 'postgres') {
      it('a constraint failing at COMMIT (deferred) rolls the outbox rows back with it', async () => {
        const { dispatched, writtenIn, relayed } = await shop();
        const code = randomUUID();
        const first = Order.place(id('deferred-a'), code);
        const second = Order.place(id('deferred-b'), code);
        await expect(source.transaction((manager) => manager.save([first, second]))).rejects.toThrow(
          /unique|duplicate/i,
        );
        expect(writtenIn).toHaveLength(1); // written before COMMIT, undone by its failure
        expect(dispatched).toEqual([]);
        expect(pending(first)).toEqual([first.id]);
        expect(await relayed()).toEqual([]);
      });
    }

    it('a nested savepoint rolled back: its entities’ events are neither written nor dispatched', async () => {
      const { dispatched, relayed } = await shop();
      const outer = Order.place(id('outer'));
      const inner = Order.place(id('inner'));
      const kept = Order.place(id('kept'));
      await source.transaction(async (manager) => {
        await manager.save(outer);
        await manager
          .transaction(async (savepoint) => {
            await savepoint.save(inner);
            throw new Error('inner failure');
          })
          .catch(() => undefined);
        await manager.transaction((savepoint) => savepoint.save(kept)); // released: joins the outer
      });
      expect(dispatched).toEqual([outer.id, kept.id]);
      expect(pending(inner)).toEqual([inner.id]);
      expect(await committedIds([outer.id, inner.id, kept.id])).toEqual([kept.id, outer.id].sort());
      expect(await relayed()).toEqual([kept.id, outer.id].sort());
    });

    it('with flusher.transaction(): the roots it writes are left to it, the others are the subscriber’s', async () => {
      const { flusher, dispatched, writtenIn, relayed } = await shop();
      const order = Order.place(id('flusher'));
      const unreturned = Order.place(id('unreturned'));
      let runner: QueryRunner | undefined;
      await flusher.transaction(async (manager) => {
        runner = manager.queryRunner;
        await manager.save([order, unreturned]);
        return [order];
      });
      // The Flusher wrote its root, the subscriber the other, both in the transaction; each once.
      expect(writtenIn).toEqual([runner, runner]);
      expect([...dispatched].sort()).toEqual([order.id, unreturned.id].sort());
      expect(pending(unreturned)).toEqual([]);
      expect(await relayed()).toEqual([order.id, unreturned.id].sort());
    });

    it('with flusher.transaction() returning every saved root, nothing is written twice', async () => {
      const { flusher, dispatched, writtenIn, relayed } = await shop();
      const orders = [Order.place(id('all-a')), Order.place(id('all-b'))];
      await flusher.transaction(async (manager) => {
        await manager.save(orders);
        return orders;
      });
      expect(writtenIn).toHaveLength(1);
      expect(dispatched).toEqual(orders.map((order) => order.id));
      expect(await relayed()).toEqual(orders.map((order) => order.id).sort());
    });

    it('two transactions at once on two connections do not mix their entities', async () => {
      const { dispatched, relayed } = await shop();
      const committed = Order.place(id('both-a'));
      const rolledBack = Order.place(id('both-b'));
      let saved = 0;
      const bothSaved = new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (saved === 2) resolve(void clearInterval(check));
        }, 5);
      });
      const results = await Promise.allSettled([
        source.transaction(async (manager) => {
          await manager.save(committed);
          saved++;
          await bothSaved;
        }),
        source.transaction(async (manager) => {
          await manager.save(rolledBack);
          saved++;
          await bothSaved;
          throw new Error('the second one fails');
        }),
      ]);
      expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected']);
      expect(dispatched).toEqual([committed.id]);
      expect(pending(rolledBack)).toEqual([rolledBack.id]);
      expect(await relayed()).toEqual([committed.id]);
    });

    it('a listener failing after COMMIT rejects with an AfterCommitError, not a rollback', async () => {
      const { dispatcher, relayed } = await shop();
      dispatcher.on(OrderPlaced, () => {
        throw new Error('listener down');
      });
      const order = Order.place(id('after'));
      const error: unknown = await source
        .transaction((manager) => manager.save(order))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AfterCommitError);
      expect(error).toMatchObject({ committed: true, code: 'ERR_TIDINGS_AFTER_COMMIT' });
      expect(await committedIds([order.id])).toEqual([order.id]);
      expect(await relayed()).toEqual([order.id]);
    });

    it('onAfterCommitError receives that error instead, and the commit resolves', async () => {
      const reported: AfterCommitError[] = [];
      const { dispatcher } = await shop({ onAfterCommitError: (error) => void reported.push(error) });
      dispatcher.on(OrderPlaced, () => {
        throw new Error('listener down');
      });
      const order = Order.place(id('reported'));
      await source.manager.save(order);
      expect(reported).toHaveLength(1);
      expect(reported[0]).toBeInstanceOf(AfterCommitError);
    });
  });
}

describe('RecordedEventsSubscriber options', () => {
  it('refuses what is not a Flusher, and unknown or mistyped options, naming them', () => {
    const flusher = new Flusher({ dispatcher: new EventDispatcher() }) as unknown as Flusher<EntityManager>;
    expect(() => new RecordedEventsSubscriber({} as never)).toThrow(InvalidArgumentError);
    expect(() => new RecordedEventsSubscriber(42 as never)).toThrow(/expected a Flusher, got number 42/);
    expect(() => new RecordedEventsSubscriber(flusher, { onError: () => undefined } as never)).toThrow(
      /unknown option "onError"/,
    );
    expect(() => new RecordedEventsSubscriber(flusher, { onAfterCommitError: 'log' as never })).toThrow(
      /"onAfterCommitError" must be a function/,
    );
  });
});
