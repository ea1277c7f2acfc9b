// FlushEventsSubscriber on the real servers: em.flush() writes an aggregate's events to the outbox in the
// flush's transaction and dispatches them after the commit; every way of rolling back writes and
// dispatches nothing and leaves the events on the entity; the relay publishes each committed event once.
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { EntitySchema, type EntityManager, type MikroORM } from '@mikro-orm/core';
import { MikroORM as MariaDbOrm } from '@mikro-orm/mariadb';
import { MikroORM as PostgreSqlOrm } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AfterCommitError,
  AggregateRoot,
  Bridge,
  EventDispatcher,
  Flusher,
  InvalidArgumentError,
  MemoryTransport,
  OutboxRelay,
} from 'tidings';
import { FlushEventsSubscriber, MikroOrmUnitOfWork } from 'tidings/mikro-orm';
import { MysqlOutbox } from 'tidings/mysql';
import { PgOutbox } from 'tidings/postgres';
import { MYSQL_URL, PG_URL } from '../../contract/sql/observer.js';

const hex = () => randomBytes(5).toString('hex');

class ItemPlaced {
  static eventName = 'item.placed';
  constructor(readonly id: string) {}
}

interface Database {
  readonly name: 'postgres' | 'mysql';
  init(entity: EntitySchema): Promise<MikroORM>;
  /** A column whose uniqueness PostgreSQL checks at COMMIT (MySQL checks it at the INSERT). */
  readonly createTable: (table: string) => string;
  readonly count: (table: string) => string;
}

const common = { discovery: { warnWhenNoEntities: false }, pool: { min: 0, max: 4 } };
const DATABASES: readonly Database[] = [
  {
    name: 'postgres',
    init: (entity) => PostgreSqlOrm.init({ ...common, entities: [entity], clientUrl: PG_URL }),
    createTable: (table) =>
      `CREATE TABLE "${table}" (id varchar(36) PRIMARY KEY, code varchar(36) NOT NULL ` +
      `CONSTRAINT "${table}_code" UNIQUE DEFERRABLE INITIALLY DEFERRED)`,
    count: (table) => `SELECT count(*)::int AS n FROM "${table}"`,
  },
  {
    name: 'mysql',
    init: (entity) => MariaDbOrm.init({ ...common, entities: [entity], clientUrl: MYSQL_URL }),
    createTable: (table) =>
      `CREATE TABLE \`${table}\` (id varchar(36) PRIMARY KEY, code varchar(36) NOT NULL UNIQUE)`,
    count: (table) => `SELECT COUNT(*) AS n FROM \`${table}\``,
  },
];

describe.each(DATABASES)('FlushEventsSubscriber on $name', (database) => {
  // A class per database: MikroORM keeps an entity's metadata on its class.
  class Item extends AggregateRoot {
    id!: string;
    code!: string;
    static place(id: string, code = id): Item {
      const item = Object.assign(new Item(), { id, code });
      item.recordEvent(new ItemPlaced(id));
      return item;
    }
  }
  const itemTable = `tidings_uow_items_${hex()}`;
  const outboxTable = `tidings_outbox_${hex()}`;
  const routingKey = `flush-${hex()}.placed`;
  const schema = new EntitySchema<Item>({
    class: Item,
    tableName: itemTable,
    properties: { id: { type: 'string', primary: true }, code: { type: 'string' } },
  });

  let orm: MikroORM;
  let flusher: Flusher<EntityManager>;
  let outbox: PgOutbox<EntityManager> | MysqlOutbox<EntityManager>;
  let relay: OutboxRelay;
  let transport: MemoryTransport;
  let shop: Bridge;
  let consumer: Bridge;
  const dispatched: string[] = [];
  const received: string[] = [];
  /** Whether the item row was visible to another connection when its event was dispatched. */
  const committedAtDispatch = new Map<string, boolean>();
  let failBeforeCommit: string | undefined;

  const rows = async (sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> =>
    (await orm.em.getConnection().execute(sql, params, 'all')) as Record<string, unknown>[];
  const outboxRows = async () => Number((await rows(database.count(outboxTable)))[0]!['n']);
  const itemExists = async (id: string) => (await orm.em.fork().findOne(Item, { id })) !== null;

  beforeAll(async () => {
    orm = await database.init(schema as EntitySchema);
    await orm.em.getConnection().execute(database.createTable(itemTable));
    const unitOfWork = new MikroOrmUnitOfWork(orm.em);
    outbox =
      database.name === 'postgres'
        ? new PgOutbox({ unitOfWork, table: outboxTable })
        : new MysqlOutbox({ unitOfWork, table: outboxTable });
    await outbox.ensureSchema();
    const dispatcher = new EventDispatcher();
    dispatcher.on(ItemPlaced, async (event) => {
      committedAtDispatch.set(event.id, await itemExists(event.id));
      dispatched.push(event.id);
      if (event.id.startsWith('listener-fails')) throw new Error('listener failed');
    });
    flusher = new Flusher({ dispatcher, unitOfWork });
    transport = new MemoryTransport();
    shop = new Bridge({ dispatcher, transport, appId: 'shop' });
    shop.forward(ItemPlaced, { routingKey });
    relay = new OutboxRelay({ outbox, transport, pollIntervalMs: 50 });
    shop.useOutbox(flusher, outbox, relay);
    flusher.addBeforeCommitHook(() => {
      if (failBeforeCommit !== undefined) throw new Error(failBeforeCommit);
    });
    const consumed = new EventDispatcher();
    consumed.on(ItemPlaced, (event) => void received.push(event.id));
    consumer = new Bridge({ dispatcher: consumed, transport, appId: 'warehouse' });
    consumer.consume({
      queue: `${routingKey}.q`,
      bindingKeys: [routingKey],
      events: { [routingKey]: ItemPlaced },
    });
    await consumer.start();
    relay.start();
    orm.em.getEventManager().registerSubscriber(new FlushEventsSubscriber(flusher));
  });

  afterAll(async () => {
    await relay?.stop();
    await shop?.close();
    await consumer?.close();
    await transport?.close();
    if (orm !== undefined) {
      const quote = (name: string) => (database.name === 'postgres' ? `"${name}"` : `\`${name}\``);
      const tables = [itemTable, outboxTable, ...(database.name === 'mysql' ? [`${outboxTable}_token`] : [])];
      for (const table of tables)
        await orm.em.getConnection().execute(`DROP TABLE IF EXISTS ${quote(table)}`);
      await orm.close();
    }
  });

  it('refuses what is not a Flusher, and unknown options', () => {
    expect(() => new FlushEventsSubscriber({} as never)).toThrow(InvalidArgumentError);
    expect(() => new FlushEventsSubscriber(flusher, { onError: () => {} } as never)).toThrow(
      /unknown option/,
    );
  });

  it('em.flush() writes the outbox row in the flush transaction and dispatches after the commit', async () => {
    const before = await outboxRows();
    const item = Item.place('plain');
    await orm.em.fork().persist(item).flush();
    expect(await outboxRows()).toBe(before + 1);
    expect(await itemExists('plain')).toBe(true);
    expect(dispatched).toContain('plain');
    expect(committedAtDispatch.get('plain')).toBe(true);
    expect(item.peekEvents()).toEqual([]);
  });

  it('a flush failing at a constraint writes and dispatches nothing, and keeps the events', async () => {
    await orm.em.fork().persist(Item.place('dup-a', 'dup-code')).flush();
    const before = await outboxRows();
    const item = Item.place('dup-b', 'dup-code');
    await expect(orm.em.fork().persist(item).flush()).rejects.toThrow();
    expect(await outboxRows()).toBe(before);
    expect(await itemExists('dup-b')).toBe(false);
    expect(dispatched).not.toContain('dup-b');
    expect(item.peekEvents()).toHaveLength(1);
  });

  it('a before-commit hook that throws rolls the flush back: neither row, no dispatch', async () => {
    const before = await outboxRows();
    const item = Item.place('hook-fails');
    failBeforeCommit = 'refused';
    try {
      await expect(orm.em.fork().persist(item).flush()).rejects.toThrow('refused');
    } finally {
      failBeforeCommit = undefined;
    }
    expect(await outboxRows()).toBe(before);
    expect(await itemExists('hook-fails')).toBe(false);
    expect(dispatched).not.toContain('hook-fails');
    expect(item.peekEvents()).toHaveLength(1);
  });

  it.runIf(database.name === 'postgres')(
    'a constraint failing at COMMIT undoes the outbox row written before it',
    async () => {
      await orm.em.fork().persist(Item.place('deferred-a', 'deferred-code')).flush();
      const before = await outboxRows();
      const item = Item.place('deferred-b', 'deferred-code');
      await expect(orm.em.fork().persist(item).flush()).rejects.toThrow(/unique|duplicate/i);
      expect(await outboxRows()).toBe(before);
      expect(await itemExists('deferred-b')).toBe(false);
      expect(dispatched).not.toContain('deferred-b');
      expect(item.peekEvents()).toHaveLength(1);
    },
  );

  it('a flush inside em.transactional() that then throws writes and dispatches nothing', async () => {
    const before = await outboxRows();
    const item = Item.place('tx-throws');
    await expect(
      orm.em.fork().transactional(async (em) => {
        await em.persist(item).flush();
        throw new Error('declined');
      }),
    ).rejects.toThrow('declined');
    expect(await outboxRows()).toBe(before);
    expect(await itemExists('tx-throws')).toBe(false);
    expect(dispatched).not.toContain('tx-throws');
    expect(item.peekEvents()).toHaveLength(1);
  });

  it('em.transactional() writes at its commit and dispatches after it', async () => {
    const before = await outboxRows();
    await orm.em.fork().transactional(async (em) => {
      await em.persist(Item.place('tx-1')).flush();
      em.persist(Item.place('tx-2')); // flushed by transactional() before the commit
    });
    expect(await outboxRows()).toBe(before + 2);
    expect(dispatched).toEqual(expect.arrayContaining(['tx-1', 'tx-2']));
    expect(committedAtDispatch.get('tx-1')).toBe(true);
  });

  it('a nested savepoint rolled back: its entities are neither written nor dispatched', async () => {
    const before = await outboxRows();
    const inner = Item.place('nested-inner');
    await orm.em.fork().transactional(async (em) => {
      await em.persist(Item.place('nested-outer')).flush();
      await em
        .transactional(async (nested) => {
          await nested.persist(inner).flush();
          throw new Error('inner declined');
        })
        .catch(() => {});
    });
    expect(await itemExists('nested-outer')).toBe(true);
    expect(await itemExists('nested-inner')).toBe(false);
    expect(await outboxRows()).toBe(before + 1);
    expect(dispatched).toContain('nested-outer');
    expect(dispatched).not.toContain('nested-inner');
    expect(inner.peekEvents()).toHaveLength(1);
  });

  it('a nested savepoint that commits joins the outer transaction', async () => {
    const before = await outboxRows();
    await orm.em.fork().transactional(async (em) => {
      await em.transactional(async (nested) => {
        await nested.persist(Item.place('nested-ok')).flush();
      });
    });
    expect(await outboxRows()).toBe(before + 1);
    expect(dispatched).toContain('nested-ok');
  });

  it('concurrent forks keep their roots apart', async () => {
    await orm.em.fork().persist(Item.place('race-taken', 'race-code')).flush();
    const before = await outboxRows();
    const failing = Item.place('race-fails', 'race-code');
    const results = await Promise.allSettled([
      orm.em.fork().persist(failing).flush(),
      orm.em.fork().persist(Item.place('race-ok')).flush(),
      orm.em.fork().persist(Item.place('race-ok-2')).flush(),
    ]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    expect(await outboxRows()).toBe(before + 2);
    expect(dispatched).toEqual(expect.arrayContaining(['race-ok', 'race-ok-2']));
    expect(dispatched).not.toContain('race-fails');
    expect(failing.peekEvents()).toHaveLength(1);
  });

  it('with flusher.transaction() too, an event is written and dispatched once', async () => {
    const before = await outboxRows();
    const item = Item.place('both');
    await flusher.transaction(async (em) => {
      await em.persist(item).flush();
      return [item];
    });
    expect(await outboxRows()).toBe(before + 1);
    expect(dispatched.filter((id) => id === 'both')).toHaveLength(1);
  });

  it('a listener failing after the commit rejects the flush with an AfterCommitError', async () => {
    const item = Item.place('listener-fails');
    const error: unknown = await orm.em
      .fork()
      .persist(item)
      .flush()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AfterCommitError);
    expect((error as AfterCommitError).committed).toBe(true);
    expect(await itemExists('listener-fails')).toBe(true);
  });

  it('the relay publishes each committed event exactly once', async () => {
    const committed = (
      await rows(`SELECT id FROM ${database.name === 'postgres' ? `"${itemTable}"` : `\`${itemTable}\``}`)
    )
      .map((row) => String(row['id']))
      .sort();
    const deadline = Date.now() + 10_000;
    while ((await outbox.stats()).pending > 0 || received.length < committed.length) {
      if (Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, 200)); // a duplicate would arrive by now
    expect([...received].sort()).toEqual(committed);
  });
});
