import { describe, expectTypeOf, test } from 'vitest';
import { AggregateRoot, EventDispatcher, Flusher, InMemoryUnitOfWork, Recorder } from 'tidings';
import type {
  BeforeCommitHook,
  EventsRoot,
  FlushScope,
  InMemoryTransaction,
  RecordsEvents,
  UnitOfWork,
} from 'tidings';

class OrderPlaced {
  constructor(readonly orderId: string) {}
}

class Order extends AggregateRoot {
  constructor(readonly id: string) {
    super();
  }

  place(): void {
    this.recordEvent(new OrderPlaced(this.id));
  }
}

/** An ORM-style base class with its own constructor, members and statics. */
class BaseEntity {
  static tableName = 'entities';
  constructor(
    readonly id: number,
    protected readonly version: number = 0,
  ) {}
  save(): Promise<void> {
    return Promise.resolve();
  }
}

class Invoice extends Recorder(BaseEntity) {
  issue(): void {
    this.recordEvent(new OrderPlaced(`invoice-${this.id}-${this.version}`));
  }
}

interface SqlTransaction {
  query(sql: string, params?: unknown[]): Promise<unknown[]>;
}

class SqlUnitOfWork implements UnitOfWork<SqlTransaction> {
  transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    return work({ query: () => Promise.resolve([]) });
  }
}

describe('Flusher and UnitOfWork generics', () => {
  const dispatcher = new EventDispatcher();

  test('with InMemoryUnitOfWork the transaction is an InMemoryTransaction', () => {
    const flusher = new Flusher({ dispatcher, unitOfWork: new InMemoryUnitOfWork() });
    expectTypeOf(flusher).toEqualTypeOf<Flusher<InMemoryTransaction>>();
    void flusher.transaction(async (tx, scope) => {
      expectTypeOf(tx).toEqualTypeOf<InMemoryTransaction>();
      expectTypeOf(scope).toEqualTypeOf<FlushScope>();
      tx.onCommit(() => {});
      return [new Order('o-1')];
    });
    expectTypeOf(flusher.flush(new Order('o-1'))).toEqualTypeOf<Promise<object[]>>();
  });

  test('without a unit of work the default is InMemoryTransaction', () => {
    const flusher = new Flusher({ dispatcher });
    expectTypeOf(flusher).toEqualTypeOf<Flusher<InMemoryTransaction>>();
  });

  test('a custom UnitOfWork<MyTx> flows MyTx into the callback and the hooks', () => {
    const flusher = new Flusher({
      dispatcher,
      unitOfWork: new SqlUnitOfWork(),
      beforeCommit: [
        async (events, tx) => {
          expectTypeOf(events).toEqualTypeOf<readonly object[]>();
          expectTypeOf(tx).toEqualTypeOf<SqlTransaction>();
          await tx.query('insert into outbox ...');
        },
      ],
    });
    expectTypeOf(flusher).toEqualTypeOf<Flusher<SqlTransaction>>();
    void flusher.transaction(async (tx, scope) => {
      expectTypeOf(tx).toEqualTypeOf<SqlTransaction>();
      await tx.query('update orders ...');
      scope.track(new Order('o-2'));
    });
    flusher.addBeforeCommitHook((_events, tx) => {
      expectTypeOf(tx).toEqualTypeOf<SqlTransaction>();
    });
    expectTypeOf<Parameters<typeof flusher.addBeforeCommitHook>[0]>().toEqualTypeOf<
      BeforeCommitHook<SqlTransaction>
    >();
  });

  test('mismatches are errors', () => {
    const flusher = new Flusher({ dispatcher, unitOfWork: new SqlUnitOfWork() });
    void flusher.transaction(async (tx) => {
      // @ts-expect-error a SqlTransaction has no onCommit()
      tx.onCommit(() => {});
    });
    // @ts-expect-error the hook expects an InMemoryTransaction, the unit of work gives SqlTransaction
    flusher.addBeforeCommitHook((_events, tx: InMemoryTransaction) => tx.onCommit(() => {}));
    // @ts-expect-error the roots must be EventsRoots
    void flusher.transaction(async () => [new OrderPlaced('o-3')]);
    // @ts-expect-error a plain object is not an EventsRoot
    void flusher.flush({});
    // @ts-expect-error the dispatcher must have dispatch()
    new Flusher({ dispatcher: {} });
    // @ts-expect-error the unit of work must have transaction()
    new Flusher({ dispatcher, unitOfWork: {} });
  });
});

describe('AggregateRoot and Recorder', () => {
  test('recordEvent / releaseEvents / peekEvents', () => {
    const order = new Order('o-1');
    expectTypeOf(order.recordEvent).toEqualTypeOf<(event: object) => void>();
    expectTypeOf(order.releaseEvents()).toEqualTypeOf<object[]>();
    expectTypeOf(order.peekEvents()).toEqualTypeOf<readonly object[]>();
    expectTypeOf(order).toExtend<RecordsEvents>();
    expectTypeOf(order).toExtend<EventsRoot>();
    // @ts-expect-error an event is an object
    order.recordEvent('OrderPlaced');
    // @ts-expect-error peekEvents() is read-only
    order.peekEvents().push(new OrderPlaced('o-1'));
  });

  test('AggregateRoot is abstract', () => {
    // @ts-expect-error AggregateRoot is abstract
    new AggregateRoot();
  });

  test('Recorder(Base) keeps the members, constructor and statics of Base', () => {
    const invoice = new Invoice(7, 2);
    expectTypeOf(invoice.id).toEqualTypeOf<number>();
    expectTypeOf(invoice.save).toEqualTypeOf<() => Promise<void>>();
    expectTypeOf(invoice).toExtend<BaseEntity>();
    expectTypeOf(invoice).toExtend<RecordsEvents>();
    expectTypeOf(invoice.releaseEvents()).toEqualTypeOf<object[]>();
    expectTypeOf(Invoice.tableName).toBeString();
    expectTypeOf<ConstructorParameters<typeof Invoice>>().toEqualTypeOf<[id: number, version?: number]>();
    // @ts-expect-error Base's constructor parameters still apply
    new Invoice('7');
    // @ts-expect-error protected members stay protected
    void invoice.version;
  });
});

describe('Flusher requires a unit of work for other transaction types', () => {
  test('leaving unitOfWork out is only allowed for the in-memory transaction type', () => {
    interface PgTx {
      query(sql: string): Promise<unknown>;
    }
    const dispatcher = new EventDispatcher();
    // @ts-expect-error -- the default InMemoryUnitOfWork cannot provide a PgTx
    new Flusher<PgTx>({ dispatcher });
    const pg: UnitOfWork<PgTx> = { transaction: (work) => work({ query: async () => [] }) };
    const flusher = new Flusher({ dispatcher, unitOfWork: pg });
    void flusher.transaction(async (tx) => {
      expectTypeOf(tx).toEqualTypeOf<PgTx>();
    });
  });

  test('an interface works as the map of named events', () => {
    interface AppEvents {
      'user.login': { userId: string };
    }
    const dispatcher = new EventDispatcher<AppEvents>();
    dispatcher.on('user.login', (payload) => expectTypeOf(payload).toEqualTypeOf<{ userId: string }>());
    // @ts-expect-error -- unknown name
    dispatcher.on('user.logout', () => {});
  });
});
