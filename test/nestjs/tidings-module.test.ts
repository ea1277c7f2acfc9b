// TidingsModule's configuration, compiled by @nestjs/testing as a user's test would: what it provides
// and to whom, forRootAsync, and every bad option named in a typed error before anything starts.
import { Inject, Injectable, Module, Scope } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AggregateRoot,
  Bridge,
  EventDispatcher,
  Flusher,
  InvalidArgumentError,
  MemoryBroker,
  MemoryOutbox,
  MemoryTransport,
  OutboxRelay,
  Publisher,
  SubscriberDefinitionError,
  type EventSubscriber,
  type SettledOutcome,
  type Transport,
} from '../../src/index.js';
import {
  Consume,
  OnEvent,
  TIDINGS_TRANSPORT,
  TidingsModule,
  type TidingsModuleOptions,
} from '../../src/nestjs.js';
import { Journal, OrderPlaced, waitFor } from './nest-fixtures.js';

const broker = new MemoryBroker();
const modules: TestingModule[] = [];

afterEach(async () => {
  for (const module of modules.splice(0)) await module.close();
});

async function start(metadata: Parameters<typeof Test.createTestingModule>[0]): Promise<TestingModule> {
  const module = await Test.createTestingModule(metadata).setLogger(silent).compile();
  modules.push(module);
  await module.init();
  return module;
}

const silent = { log() {}, error() {}, warn() {} };

class Order extends AggregateRoot {
  constructor(readonly id: string) {
    super();
  }
  place(): void {
    this.recordEvent(new OrderPlaced(this.id, 42));
  }
}

describe('what TidingsModule provides', () => {
  it('injects the dispatcher, flusher, bridge, publisher by class and the transport by token', async () => {
    const transport = new MemoryTransport({ broker });
    @Injectable()
    class Orders {
      constructor(
        readonly dispatcher: EventDispatcher,
        readonly flusher: Flusher,
        readonly bridge: Bridge,
        readonly publisher: Publisher,
        @Inject(TIDINGS_TRANSPORT) readonly transport: Transport,
        readonly journal: Journal,
      ) {}
      @OnEvent(OrderPlaced)
      placed(event: OrderPlaced) {
        this.journal.add(`placed ${event.orderId}`);
      }
      async place(id: string): Promise<void> {
        const order = new Order(id);
        order.place();
        await this.flusher.transaction(async () => [order]);
      }
    }
    const module = await start({
      imports: [TidingsModule.forRoot({ transport, appId: 'nest-unit' })],
      providers: [Orders, Journal],
    });
    const orders = module.get(Orders);
    expect(orders.dispatcher).toBeInstanceOf(EventDispatcher);
    expect(orders.bridge).toBeInstanceOf(Bridge);
    expect(orders.bridge.appId).toBe('nest-unit');
    expect(orders.publisher).toBeInstanceOf(Publisher);
    expect(orders.transport).toBe(transport);
    // The flusher releases to the module's dispatcher, where @OnEvent registered the listener.
    await orders.place('o-1');
    expect(module.get(Journal).entries).toEqual(['placed o-1']);
  });

  it('forRootAsync takes the options from a factory with injected providers of imported modules', async () => {
    @Injectable()
    class Config {
      readonly appId = 'from-config';
    }
    @Module({ providers: [Config], exports: [Config] })
    class ConfigModule {}
    const module = await start({
      imports: [
        TidingsModule.forRootAsync({
          imports: [ConfigModule],
          inject: [Config],
          useFactory: async (config: Config) => ({
            transport: () => new MemoryTransport({ broker }),
            appId: config.appId,
          }),
        }),
      ],
    });
    expect(module.get(Bridge).appId).toBe('from-config');
    expect(module.get(TIDINGS_TRANSPORT)).toBeInstanceOf(MemoryTransport);
  });

  it('registers a provider that lists its listeners in getSubscribedEvents(), as addSubscriber does', async () => {
    @Injectable()
    class Audit implements EventSubscriber {
      constructor(readonly journal: Journal) {}
      getSubscribedEvents() {
        return [[OrderPlaced, 'record']] as const;
      }
      record(event: OrderPlaced) {
        this.journal.add(`audit ${event.orderId}`);
      }
    }
    const module = await start({
      imports: [TidingsModule.forRoot({ transport: new MemoryTransport({ broker }) })],
      providers: [Audit, Journal],
    });
    await module.get(EventDispatcher).dispatch(new OrderPlaced('o-1', 1));
    expect(module.get(Journal).entries).toEqual(['audit o-1']);
  });

  it('forwards the configured events through the outbox, which the relay publishes to a @Consume handler', async () => {
    const transport = new MemoryTransport({ broker });
    const outbox = new MemoryOutbox();
    const relay = new OutboxRelay({ outbox, transport, pollIntervalMs: 20 });
    @Injectable()
    class Warehouse {
      constructor(readonly journal: Journal) {}
      @Consume({ queue: 'nest-unit.warehouse', bindingKeys: ['nest-unit.placed'], event: OrderPlaced })
      ship(event: OrderPlaced) {
        this.journal.add(`ship ${event.orderId} (${event.total})`);
      }
    }
    const module = await start({
      imports: [
        TidingsModule.forRoot({
          transport,
          appId: 'nest-unit',
          forward: [{ event: OrderPlaced, routingKey: 'nest-unit.placed' }],
          outbox,
          relay,
        }),
      ],
      providers: [Warehouse, Journal],
    });
    const settled: SettledOutcome[] = [];
    module.get(Bridge).on('settled', (outcome) => settled.push(outcome));
    const order = new Order('o-1');
    order.place();
    await module.get(Flusher).transaction(async () => [order]);
    await waitFor(() => settled.length === 1, 5000, 'the relayed message');
    expect(settled[0]).toMatchObject({ outcome: 'acked', queue: 'nest-unit.warehouse' });
    expect(module.get(Journal).entries).toEqual(['ship o-1 (42)']);
    expect(await outbox.stats()).toMatchObject({ pending: 0 });
  });
});

describe('the outbox relay in the module', () => {
  it('logs a failing database instead of ending the process, and goes on relaying once it answers', async () => {
    const transport = new MemoryTransport({ broker });
    const outbox = new MemoryOutbox();
    let claimsToFail = 2;
    const claim = outbox.claim.bind(outbox);
    outbox.claim = async (...args) => {
      if (claimsToFail > 0) {
        claimsToFail--;
        throw new Error('connection terminated');
      }
      return claim(...args);
    };
    const relay = new OutboxRelay({
      outbox,
      transport,
      pollIntervalMs: 20,
      retry: { initialDelayMs: 20, maxDelayMs: 50 },
    });
    const errors: string[] = [];
    const module = await Test.createTestingModule({
      imports: [
        TidingsModule.forRoot({
          transport,
          appId: 'nest-relay',
          forward: [{ event: OrderPlaced, routingKey: 'nest-relay.placed' }],
          outbox,
          relay,
        }),
      ],
    })
      .setLogger({ log() {}, warn() {}, error: (message: unknown) => void errors.push(String(message)) })
      .compile();
    modules.push(module);
    await module.init();
    // A queue for the event, so that the relayed message is routed (unroutable, it would count as failing).
    await transport.declare({
      exchanges: [{ name: 'nest-relay', type: 'topic' }],
      queues: [{ name: 'nest-relay.q' }],
      bindings: [{ queue: 'nest-relay.q', exchange: 'nest-relay', pattern: 'nest-relay.placed' }],
    });
    const order = new Order('o-1');
    order.place();
    await module.get(Flusher).transaction(async () => [order]);
    await waitFor(
      async () => (await outbox.stats()).pending === 0,
      5000,
      'the row relayed after the failures',
    );
    expect(claimsToFail).toBe(0);
    expect(errors.some((message) => message.includes('Outbox relay: connection terminated'))).toBe(true);
  });
});

describe('providers resolved per event', () => {
  it('a durable provider without a ContextIdStrategy is resolved anew for each event, as a request-scoped one', async () => {
    const instances = new Set<object>();
    @Injectable({ scope: Scope.REQUEST, durable: true })
    class TenantAudit {
      constructor(readonly journal: Journal) {
        instances.add(this);
      }
      @OnEvent(OrderPlaced)
      record(event: OrderPlaced) {
        this.journal.add(`audit ${event.orderId}`);
      }
    }
    const module = await start({
      imports: [TidingsModule.forRoot({ transport: new MemoryTransport({ broker }) })],
      providers: [TenantAudit, Journal],
    });
    const dispatcher = module.get(EventDispatcher);
    await dispatcher.dispatch(new OrderPlaced('o-1', 1));
    await dispatcher.dispatch(new OrderPlaced('o-2', 2));
    expect(module.get(Journal).entries).toEqual(['audit o-1', 'audit o-2']);
    expect(instances.size).toBe(2);
  });

  it('the same class provided by two modules is registered once per module, each with its own dependencies', async () => {
    @Injectable({ scope: Scope.REQUEST })
    class Greeter {
      constructor(
        @Inject('NAME') readonly name: string,
        readonly journal: Journal,
      ) {}
      @OnEvent(OrderPlaced)
      greet(event: OrderPlaced) {
        this.journal.add(`${this.name} ${event.orderId}`);
      }
    }
    @Module({ providers: [Journal], exports: [Journal] })
    class Shared {}
    @Module({ imports: [Shared], providers: [Greeter, { provide: 'NAME', useValue: 'a' }] })
    class A {}
    @Module({ imports: [Shared], providers: [Greeter, { provide: 'NAME', useValue: 'b' }] })
    class B {}
    const module = await start({
      imports: [TidingsModule.forRoot({ transport: new MemoryTransport({ broker }) }), A, B, Shared],
    });
    await module.get(EventDispatcher).dispatch(new OrderPlaced('o-1', 1));
    expect(module.get(Journal).entries.sort()).toEqual(['a o-1', 'b o-1']);
  });
});

describe('bad configuration', () => {
  const transport = new MemoryTransport({ broker });
  const forRootError = (options: unknown) => {
    try {
      TidingsModule.forRoot(options as TidingsModuleOptions);
    } catch (error) {
      return error;
    }
    throw new Error('forRoot accepted the options');
  };

  it.each([
    [{ transport, transprt: 1 }, 'TidingsModule.forRoot: unknown option "transprt"'],
    [{}, 'TidingsModule.forRoot: "transport" must be a Transport or a function returning one'],
    [{ transport: {} }, '"transport" must be a Transport'],
    [{ transport: MemoryTransport }, 'not the class MemoryTransport (write new MemoryTransport(…)'],
    [{ transport, appId: '' }, '"appId" must be a non-empty string'],
    [{ transport, forward: [{ routingKey: 'a.b' }] }, 'forward[0].event must be an event class'],
    [
      { transport, relay: new OutboxRelay({ outbox: new MemoryOutbox(), transport }) },
      '"relay" needs "outbox"',
    ],
    [{ transport, maxFlushRounds: 0 }, 'maxFlushRounds must be an integer >= 1'],
    [{ transport, closeTransport: 'yes' }, '"closeTransport" must be a boolean'],
    [{ transport, dispatchContext: 'cls' }, '"dispatchContext" must be a function'],
  ])('forRoot(%o) is an InvalidArgumentError naming the option', (options, message) => {
    const error = forRootError(options);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).code).toBe('ERR_TIDINGS_INVALID_ARGUMENT');
    expect((error as Error).message).toContain(message);
  });

  it('forRootAsync checks what its factory returns, and fails the application start', async () => {
    const module = Test.createTestingModule({
      imports: [TidingsModule.forRootAsync({ useFactory: () => ({ transport: () => ({}) as Transport }) })],
    }).setLogger(silent);
    await expect(module.compile()).rejects.toThrow(
      /TidingsModule\.forRootAsync: "transport" must be a Transport or a function returning one.*got an instance of Object/,
    );
    expect(() => TidingsModule.forRootAsync({ useFactory: 'no' } as never)).toThrow(InvalidArgumentError);
    expect(() =>
      TidingsModule.forRootAsync({ useFactory: () => ({ transport }), inports: [] } as never),
    ).toThrow('TidingsModule.forRootAsync: unknown option "inports"');
  });

  it('@Consume: an unknown option or a bad schema fails where the decorator is written', () => {
    expect(() => Consume({ queue: 'q', bindingKeys: ['a.b'], prefech: 1 } as never)).toThrow(
      '@Consume("q"): unknown option "prefech"',
    );
    expect(() => Consume({ queue: 'q', bindingKeys: ['a.b'], schema: {} as never })).toThrow(
      '@Consume("q"): "schema" must be a Standard Schema validator',
    );
    expect(() => {
      class Handlers {
        @Consume({ queue: 'q', bindingKeys: ['a.b'] })
        static handle() {}
      }
      return Handlers;
    }).toThrow(SubscriberDefinitionError);
  });

  it('@Consume: a bad consumer option fails the application start, naming the method', async () => {
    @Injectable()
    class Billing {
      @Consume({ queue: 'nest-unit.billing', bindingKeys: ['nest-unit.placed'], prefetch: 0 })
      charge() {}
    }
    const module = await Test.createTestingModule({
      imports: [TidingsModule.forRoot({ transport: new MemoryTransport({ broker }) })],
      providers: [Billing],
    })
      .setLogger(silent)
      .compile();
    const failure = await module.init().catch((error: unknown) => error);
    // Nest's close() rethrows the failure of init(); nothing had started.
    await module.close().catch(() => {});
    expect(failure).toBeInstanceOf(InvalidArgumentError);
    expect((failure as Error).message).toBe(
      '@Consume on Billing.charge: Consumer: prefetch must be an integer from 1 to 65535, got number 0',
    );
  });
});
