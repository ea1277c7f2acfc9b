// The outbox's guarantees through every SqlUnitOfWork, on both databases (issue 12, item 3): a Flusher
// on the unit of work with Bridge.useOutbox writes the events in the caller's transaction; a rollback
// writes and dispatches nothing, a savepoint rolled back keeps only the outer events, a commit is
// published once by the relay, with the bytes of a direct send.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlDialect, SqlUnitOfWork } from '../../../src/deferred/sql-unit-of-work.js';
import {
  AggregateRoot,
  Bridge,
  encodeOutboxMessage,
  EventDispatcher,
  Flusher,
  MemoryBroker,
  MemoryTransport,
  OutboxRelay,
  type Delivery,
  type Outbox,
} from '../../../src/index.js';
import { MysqlOutbox } from '../../../src/mysql.js';
import { PgOutbox } from '../../../src/postgres.js';
import { AmqpTransport } from '../../../src/rabbitmq.js';
import { AMQP_URL } from '../../integration/servers.js';
import { wireIdentityScenarios } from '../../outbox/wire-identity-scenarios.js';
import { createObserver, type Observer } from './observer.js';
import type { SqlUnitOfWorkFixture } from './sql-unit-of-work.contract.js';

export interface OutboxSuiteOptions {
  /** Also run the wire-identity scenarios through RabbitMQ (one adapter per database is enough). */
  readonly amqp?: boolean;
}

class OrderPlaced {
  static eventName = 'order.placed';
  constructor(readonly orderId: string) {}
}

class Order extends AggregateRoot {
  constructor(readonly id: string) {
    super();
  }
  place(): this {
    this.recordEvent(new OrderPlaced(this.id));
    return this;
  }
}

/** An outbox table name the leftover check knows on both databases: `tidings_outbox_` + 10 hex digits. */
function outboxTable(): string {
  return `tidings_outbox_${randomBytes(5).toString('hex')}`;
}

/**
 * Registers the outbox scenarios for the unit of work `setup` gives, with `PgOutbox` (dialect
 * `'postgres'`) or `MysqlOutbox` (`'mysql'`) on a table of its own, dropped at the end.
 */
export function describeSqlOutbox<Tx>(
  name: string,
  dialect: SqlDialect,
  setup: () => Promise<SqlUnitOfWorkFixture<Tx>>,
  options: OutboxSuiteOptions = {},
): void {
  describe(`outbox contract: ${name} on ${dialect}`, () => {
    const table = outboxTable();
    let observer: Observer;
    let fixture: SqlUnitOfWorkFixture<Tx> | undefined;
    let unitOfWork: SqlUnitOfWork<Tx>;
    let outbox: Outbox<Tx> & { ensureSchema(): Promise<void> };
    const transport = new MemoryTransport({ broker: new MemoryBroker() });
    const amqp = options.amqp === true ? new AmqpTransport({ url: AMQP_URL }) : undefined;

    beforeAll(async () => {
      observer = createObserver(dialect);
      fixture = await setup();
      unitOfWork = fixture.unitOfWork;
      outbox =
        dialect === 'postgres' ? new PgOutbox({ unitOfWork, table }) : new MysqlOutbox({ unitOfWork, table });
      await outbox.ensureSchema();
    });

    afterAll(async () => {
      await amqp?.close();
      await transport.close();
      await fixture?.close();
      await observer.query(`DROP TABLE IF EXISTS ${table}`);
      if (dialect === 'mysql') await observer.query(`DROP TABLE IF EXISTS ${table}_token`);
      await observer.close();
    });

    /** A shop: a Flusher on the unit of work, its events forwarded to a queue of their own via the outbox. */
    async function shop() {
      const exchange = `ob${randomUUID().slice(0, 8)}`;
      const routingKey = `${exchange}.placed`;
      const queue = `${exchange}.q`;
      await transport.declare({
        exchanges: [{ name: exchange, type: 'topic' }],
        queues: [{ name: queue }],
        bindings: [{ queue, exchange, pattern: routingKey }],
      });
      const dispatcher = new EventDispatcher();
      const flusher = new Flusher({ dispatcher, unitOfWork });
      const bridge = new Bridge({ dispatcher, transport, appId: 'shop' });
      const relay = new OutboxRelay({ outbox, transport });
      bridge.forward(OrderPlaced, { routingKey }).useOutbox(flusher, outbox, relay);
      const dispatched: string[] = [];
      dispatcher.on(OrderPlaced, (event) => void dispatched.push(event.orderId));
      /** The order ids in the queue now, acked. */
      const received = async (): Promise<string[]> => {
        const ids: string[] = [];
        for (let delivery: Delivery | undefined; (delivery = await transport.get(queue));) {
          delivery.ack();
          ids.push((JSON.parse(delivery.content.toString('utf8')) as OrderPlaced).orderId);
        }
        return ids;
      };
      return { flusher, relay, bridge, routingKey, dispatched, received };
    }

    const rowCount = async (): Promise<number> =>
      Number((await observer.query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM ${table}`))[0]?.n);

    it('a thrown error in the transaction writes nothing and dispatches nothing', async () => {
      const { flusher, relay, bridge, dispatched, received } = await shop();
      const before = await rowCount();
      const order = new Order('rolled-back');
      const failure = new Error('the business write failed');
      await expect(
        flusher
          .transaction(async () => {
            order.place();
            return [order];
          })
          .then(() =>
            flusher.transaction(async () => {
              new Order('also-rolled-back').place();
              throw failure;
            }),
          ),
      ).rejects.toBe(failure);
      // The first transaction committed: only its event; the second wrote nothing.
      expect(await rowCount()).toBe(before + 1);
      expect(await relay.relayOnce()).toBe(1);
      expect(await received()).toEqual(['rolled-back']);
      expect(dispatched).toEqual(['rolled-back']);
      await bridge.close();
    });

    it('a nested savepoint rolled back keeps only the outer events', async () => {
      const { flusher, relay, bridge, routingKey, dispatched, received } = await shop();
      const before = await rowCount();
      await flusher.transaction(async (_tx, scope) => {
        scope.track(new Order('outer').place());
        await flusher
          .transaction(async (tx, inner) => {
            inner.track(new Order('inner').place());
            // A row written in the savepoint itself, undone with it.
            await outbox.add([encodeOutboxMessage(new OrderPlaced('inner-row'), routingKey)], tx);
            throw new Error('inner failure');
          })
          .catch(() => undefined);
      });
      expect(await rowCount()).toBe(before + 1);
      expect(await relay.relayOnce()).toBe(1);
      expect(await received()).toEqual(['outer']);
      expect(dispatched).toEqual(['outer']);
      await bridge.close();
    });

    it('a commit is published exactly once by the relay', async () => {
      const { flusher, relay, bridge, dispatched, received } = await shop();
      const orders = ['a', 'b', 'c'].map((id) => new Order(id).place());
      await flusher.transaction(async () => orders);
      expect(await relay.relayOnce()).toBe(3);
      expect(await relay.relayOnce()).toBe(0);
      expect((await received()).sort()).toEqual(['a', 'b', 'c']);
      expect(dispatched).toEqual(['a', 'b', 'c']);
      expect((await outbox.stats()).pending).toBe(0);
      await bridge.close();
    });

    it('events recorded during the callback, not returned, are written in its transaction and dispatched after commit', async () => {
      const { flusher, relay, bridge, dispatched, received } = await shop();
      const before = await rowCount();
      let seenInside: number | undefined;
      await flusher.transaction(async (tx) => {
        new Order('recorded-inside').place();
        // Not yet written: the outbox row goes in with the commit, through this same tx.
        seenInside = Number(
          (await unitOfWork.query<{ n: unknown }>(tx, `SELECT COUNT(*) AS n FROM ${table}`)).rows[0]?.n,
        );
      });
      expect(seenInside).toBe(before);
      expect(await rowCount()).toBe(before + 1);
      expect(dispatched).toEqual(['recorded-inside']);
      expect(await relay.relayOnce()).toBe(1);
      expect(await received()).toEqual(['recorded-inside']);
      await bridge.close();
    });

    wireIdentityScenarios(`${name} on ${dialect} + MemoryTransport`, () =>
      Promise.resolve({ transport: transport, unitOfWork, outbox }),
    );
    if (amqp !== undefined) {
      wireIdentityScenarios(`${name} on ${dialect} + RabbitMQ`, () =>
        Promise.resolve({
          transport: amqp,
          unitOfWork,
          outbox,
          extraHeaders: { 'x-big': { '!': 'int64', value: 2n ** 62n + 1n } },
        }),
      );
    }
  });
}
