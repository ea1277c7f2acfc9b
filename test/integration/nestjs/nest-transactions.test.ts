// @Transactional() service methods of a real Nest application (@nestjs/typeorm, nestjs-cls and
// @nestjs-cls/transactional's TypeORM adapter) against the local PostgreSQL: the events of the aggregates
// they save are written to the outbox in their transaction (RecordedEventsSubscriber), dispatched after
// its commit and relayed once; a rollback, of the method or of a nested savepoint, writes and dispatches
// nothing of what it undid. Listeners run outside the committed transaction (dispatchContext), so the
// @Transactional() methods they call begin their own. flusher.transaction() through
// TransactionHostUnitOfWork: the services it calls join its transaction; inside a @Transactional()
// method it is refused (see that class).
import { randomBytes, randomUUID } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Flusher, MemoryBroker, MemoryTransport, TransactionStateError } from '../../../src/index.js';
import { createObserver, uniqueTable, type Observer } from '../../contract/sql/observer.js';
import { createApp, Order, OrdersService, Seen, txid, type Tables } from './nest-transactions-app.js';

const id = (what: string): string => `${what}-${randomBytes(4).toString('hex')}`;

describe('NestJS @Transactional() methods and the outbox, on PostgreSQL', () => {
  const tables: Tables = {
    orders: uniqueTable('nest_orders'),
    outbox: `tidings_outbox_${randomBytes(5).toString('hex')}`,
    exchange: `ob${randomUUID().slice(0, 8)}`,
  };
  const queue = `${tables.exchange}.q`;
  const broker = new MemoryBroker();
  const reader = new MemoryTransport({ broker });
  let observer: Observer;
  let app: INestApplicationContext;
  let orders: OrdersService;
  let seen: Seen;
  let flusher: Flusher<EntityManager>;

  beforeAll(async () => {
    observer = createObserver('postgres');
    await observer.query(`CREATE TABLE ${tables.orders} (id varchar(36) PRIMARY KEY, total int NOT NULL)`);
    await reader.declare({
      exchanges: [{ name: tables.exchange, type: 'topic' }],
      queues: [{ name: queue }],
      bindings: [{ queue, exchange: tables.exchange, pattern: `${tables.exchange}.placed` }],
    });
    app = await createApp(tables, broker);
    orders = app.get(OrdersService);
    seen = app.get(Seen);
    flusher = app.get<Flusher<EntityManager>>(Flusher);
  });

  beforeEach(() => {
    seen.events.length = 0;
    seen.onEvent = undefined;
  });

  afterAll(async () => {
    await app?.close();
    await reader.close();
    await observer.query(`DROP TABLE IF EXISTS ${tables.orders}`);
    await observer.query(`DROP TABLE IF EXISTS ${tables.outbox}`);
    await observer.close();
  });

  /** Of `ids`, those committed in the orders table, and those with a committed outbox row. */
  async function committed(ids: string[]): Promise<{ orders: string[]; outbox: string[] }> {
    const orderRows = await observer.query<{ id: string }>(
      `SELECT id FROM ${tables.orders} WHERE id = ANY($1) ORDER BY id`,
      [ids],
    );
    // `body` holds the bytes published: here, the event's JSON.
    const outboxRows = await observer.query<{ id: string }>(
      `SELECT id FROM (SELECT convert_from(body, 'UTF8')::jsonb->>'orderId' AS id FROM ${tables.outbox}) AS rows ` +
        `WHERE id = ANY($1) ORDER BY id`,
      [ids],
    );
    return { orders: orderRows.map((row) => row.id), outbox: outboxRows.map((row) => row.id) };
  }

  /** The order ids the relay published so far, acked; waits for `count` of them. */
  async function relayed(count: number): Promise<string[]> {
    const ids: string[] = [];
    const deadline = Date.now() + 10_000;
    while (ids.length < count && Date.now() < deadline) {
      const delivery = await reader.get(queue);
      if (delivery === undefined) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        continue;
      }
      delivery.ack();
      ids.push((JSON.parse(delivery.content.toString('utf8')) as { orderId: string }).orderId);
    }
    return ids.sort();
  }

  /** Nothing more arrives within a few relay polls: each event was published once. */
  async function nothingMoreRelayed(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await reader.get(queue)).toBeUndefined();
  }

  it('a @Transactional() method saving an aggregate: outbox row committed with it, dispatched after, relayed once', async () => {
    const order = Order.place(id('commit'));
    await orders.place(order);
    expect(await committed([order.id])).toEqual({ orders: [order.id], outbox: [order.id] });
    // Dispatched once, after the commit: the listener's own connection saw the order row.
    expect(seen.events).toEqual([{ orderId: order.id, committed: true }]);
    expect(order.peekEvents()).toEqual([]);
    expect(await relayed(1)).toEqual([order.id]);
    await nothingMoreRelayed();
  });

  it('a @Transactional() method that throws: no order row, no outbox row, nothing dispatched, events still recorded', async () => {
    const order = Order.place(id('rollback'));
    await expect(orders.placeThenFail(order)).rejects.toThrow('card declined');
    expect(await committed([order.id])).toEqual({ orders: [], outbox: [] });
    expect(seen.events).toEqual([]);
    expect(order.peekEvents()).toHaveLength(1);
    await nothingMoreRelayed();
  });

  it('a nested @Transactional(Propagation.Nested) that throws and is caught: only the outer events', async () => {
    const outer = Order.place(id('outer'));
    const inner = Order.place(id('inner'));
    await orders.placeWithFailingNested(outer, inner);
    expect(await committed([outer.id, inner.id])).toEqual({ orders: [outer.id], outbox: [outer.id] });
    expect(seen.events).toEqual([{ orderId: outer.id, committed: true }]);
    expect(inner.peekEvents()).toHaveLength(1);
    expect(await relayed(1)).toEqual([outer.id]);
    await nothingMoreRelayed();
  });

  it('flusher.transaction(): the @Transactional() methods it calls join its transaction; events written once', async () => {
    let order: Order | undefined;
    let flusherTxid = '';
    let serviceTxid = '';
    const dispatched = await flusher.transaction(async (manager) => {
      flusherTxid = await txid(manager);
      // Recorded inside the flush, so the Flusher writes its event; RecordedEventsSubscriber, seeing the
      // order saved in the same transaction, leaves it to the Flusher (the outbox row is written once).
      order = Order.place(id('flusher'));
      serviceTxid = await orders.place(order);
      expect(seen.events).toEqual([]);
    });
    expect(serviceTxid).toBe(flusherTxid);
    expect(dispatched).toHaveLength(1);
    const orderId = order!.id;
    expect(await committed([orderId])).toEqual({ orders: [orderId], outbox: [orderId] });
    expect(seen.events).toEqual([{ orderId, committed: true }]);
    expect(await relayed(1)).toEqual([orderId]);
    await nothingMoreRelayed();
  });

  it('flusher.transaction() nested in another is a savepoint: its failure undoes only its writes', async () => {
    const kept = Order.place(id('kept'));
    const undone = Order.place(id('undone'));
    await flusher.transaction(async (manager) => {
      await manager.save(kept);
      await flusher
        .transaction(async (nested) => {
          await nested.save(undone);
          throw new Error('nested failure');
        })
        .catch(() => undefined);
    });
    expect(await committed([kept.id, undone.id])).toEqual({ orders: [kept.id], outbox: [kept.id] });
    expect(seen.events.map((event) => event.orderId)).toEqual([kept.id]);
    expect(undone.peekEvents()).toHaveLength(1);
    expect(await relayed(1)).toEqual([kept.id]);
  });

  it('flusher.transaction() inside a @Transactional() method is refused, before any write', async () => {
    const order = Order.place(id('refused'));
    const attempt = orders.inside(() =>
      flusher.transaction(async (manager) => {
        await manager.save(order);
      }),
    );
    await expect(attempt).rejects.toBeInstanceOf(TransactionStateError);
    await expect(attempt).rejects.toThrow(/inside a transaction it does not run/);
    expect(await committed([order.id])).toEqual({ orders: [], outbox: [] });
    expect(order.peekEvents()).toHaveLength(1);
  });

  it('a listener calling a @Transactional() method: its own transaction, rolled back when it throws', async () => {
    const first = Order.place(id('first'));
    const followUp = Order.place(id('follow'));
    const declined = Order.place(id('declined'));
    const txids: string[] = [];
    seen.onEvent = async (event) => {
      if (event.orderId !== first.id) return;
      // RecordedEventsSubscriber dispatches from inside TypeORM's commit, where the host still holds the
      // committed transaction; dispatchContext (txHost.withoutTransaction) is why these begin their own.
      txids.push(await orders.place(followUp));
      await orders.placeThenFail(declined).catch(() => undefined);
    };
    txids.push(await orders.place(first));
    expect(new Set(txids).size).toBe(2);
    const ids = [first.id, followUp.id, declined.id];
    expect(await committed(ids)).toEqual({
      orders: [first.id, followUp.id].sort(),
      outbox: [first.id, followUp.id].sort(),
    });
    expect(seen.events.map((event) => event.orderId)).toEqual([first.id, followUp.id]);
    expect(declined.peekEvents()).toHaveLength(1);
    expect(await relayed(2)).toEqual([first.id, followUp.id].sort());
    await nothingMoreRelayed();
  });

  it('a listener dispatched after the commit of a @Transactional() method may run flusher.transaction()', async () => {
    const first = Order.place(id('first'));
    let followUp: Order | undefined;
    seen.onEvent = async (event) => {
      if (event.orderId !== first.id) return;
      await flusher.transaction(async (manager) => {
        followUp = Order.place(id('follow'));
        await manager.save(followUp);
      });
    };
    await orders.place(first);
    const ids = [first.id, followUp!.id].sort();
    expect(await committed(ids)).toEqual({ orders: ids, outbox: ids });
    expect(seen.events.map((event) => event.orderId)).toEqual([first.id, followUp!.id]);
    expect(await relayed(2)).toEqual(ids);
    await nothingMoreRelayed();
  });
});
