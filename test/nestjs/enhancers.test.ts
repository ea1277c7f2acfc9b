// Guards and interceptors on @Consume methods, on MemoryTransport: none by default (not even the
// application's global ones), and through Nest's ExternalContextCreator with `enhancers: true`, in an
// 'rpc' context whose data is the payload and whose context is the ConsumedMessage.
import {
  Injectable,
  Module,
  UseGuards,
  UseInterceptors,
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { tap, type Observable } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { NonRetryableError, type ConsumedMessage } from '../../src/index.js';
import { Consume, TidingsModule } from '../../src/nestjs.js';
import { Journal, waitFor } from './nest-fixtures.js';
import { memoryBroker, startApp, type TestingApp } from './nest-testing-app.js';

const apps: TestingApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

/** Refuses everything, and says it was asked. */
@Injectable()
class DenyGuard implements CanActivate {
  constructor(readonly journal: Journal) {}
  canActivate(): boolean {
    this.journal.add('deny guard');
    return false;
  }
}

/** Lets everything through, noting what the execution context holds. */
@Injectable()
class AllowGuard implements CanActivate {
  constructor(readonly journal: Journal) {}
  canActivate(context: ExecutionContext): boolean {
    const rpc = context.switchToRpc();
    const message = rpc.getContext<ConsumedMessage>();
    this.journal.add(
      `guard ${context.getType()} ${JSON.stringify(rpc.getData())} ${message.queue} ${context.getHandler().name}`,
    );
    return true;
  }
}

@Injectable()
class Timing implements NestInterceptor {
  constructor(readonly journal: Journal) {}
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    this.journal.add('before');
    return next.handle().pipe(tap(() => this.journal.add('after')));
  }
}

@Injectable()
class Failing implements NestInterceptor {
  intercept(): Observable<unknown> {
    throw new Error('interceptor down');
  }
}

const globals = [
  { provide: APP_GUARD, useClass: DenyGuard },
  { provide: APP_INTERCEPTOR, useClass: Timing },
];

async function start(providers: unknown[], imports: unknown[] = []): Promise<TestingApp> {
  const { broker, transport } = memoryBroker();
  const app = await startApp(broker, {
    imports: [TidingsModule.forRoot({ transport, appId: 'enhancers' }), ...(imports as [])],
    providers: [Journal, ...(providers as [])],
  });
  apps.push(app);
  return app;
}

describe('@Consume without enhancers', () => {
  it('runs no guard or interceptor: neither global ones nor those on the method', async () => {
    @Injectable()
    class Billing {
      constructor(readonly journal: Journal) {}
      @Consume<{ orderId: string }>({ queue: 'billing.orders', bindingKeys: ['order.placed'] })
      @UseGuards(DenyGuard)
      @UseInterceptors(Timing)
      charge(payload: { orderId: string }): void {
        this.journal.add(`charged ${payload.orderId}`);
      }
    }
    const app = await start([Billing, ...globals]);
    await app.send({ orderId: 'o-1' }, 'order.placed');
    await waitFor(() => app.settled.length === 1, 5000, 'the message');
    expect(app.settled).toEqual([expect.objectContaining({ outcome: 'acked', attempt: 1 })]);
    expect(app.module.get(Journal).entries).toEqual(['charged o-1']);
  });
});

describe('@Consume({ enhancers: true })', () => {
  it("runs the global and the method's guards and interceptors, in an 'rpc' context", async () => {
    @Injectable()
    @UseInterceptors(Timing)
    class Billing {
      constructor(readonly journal: Journal) {}
      @Consume<{ orderId: string }>({
        queue: 'billing.orders',
        bindingKeys: ['order.placed'],
        enhancers: true,
      })
      @UseGuards(AllowGuard)
      charge(payload: { orderId: string }, message: ConsumedMessage): void {
        this.journal.add(`charged ${payload.orderId} (attempt ${message.attempt})`);
      }
    }
    const app = await start([Billing, { provide: APP_INTERCEPTOR, useClass: Timing }]);
    await app.send({ orderId: 'o-1' }, 'order.placed');
    await waitFor(() => app.settled.length === 1, 5000, 'the message');
    expect(app.settled).toEqual([expect.objectContaining({ outcome: 'acked', attempt: 1 })]);
    // The global interceptor, then the class's, around the handler; the guard before them.
    expect(app.module.get(Journal).entries).toEqual([
      'guard rpc {"orderId":"o-1"} billing.orders charge',
      'before',
      'before',
      'charged o-1 (attempt 1)',
      'after',
      'after',
    ]);
  });

  it('dead-letters a message a guard refuses, at once, as non-retryable; the method does not run', async () => {
    @Injectable()
    class Billing {
      constructor(readonly journal: Journal) {}
      @Consume({ queue: 'billing.orders', bindingKeys: ['order.placed'], enhancers: true })
      @UseGuards(DenyGuard)
      charge(): void {
        this.journal.add('charged');
      }
    }
    const app = await start([Billing]);
    await app.send({ orderId: 'o-1' }, 'order.placed');
    await waitFor(() => app.settled.length === 1, 5000, 'the message');
    const [outcome] = app.settled;
    expect(outcome).toMatchObject({ outcome: 'dead-lettered', reason: 'non-retryable', attempt: 1 });
    const error = (outcome as { error: unknown }).error;
    expect(error).toBeInstanceOf(NonRetryableError);
    expect((error as Error).message).toBe(
      '@Consume on Billing.charge: refused by a guard (Forbidden resource)',
    );
    expect(app.module.get(Journal).entries).toEqual(['deny guard']);
  });

  it("repeats and dead-letters what an interceptor throws, as the method's own errors", async () => {
    @Injectable()
    class Billing {
      @Consume({
        queue: 'billing.orders',
        bindingKeys: ['order.placed'],
        enhancers: true,
        maxAttempts: 2,
        repeatDelaysMs: [0],
      })
      @UseInterceptors(Failing)
      charge(): void {}
    }
    const app = await start([Billing]);
    await app.send({ orderId: 'o-1' }, 'order.placed');
    await waitFor(() => app.settled.length === 2, 5000, 'two attempts');
    expect(app.settled.map(({ outcome, attempt }) => `${outcome} ${attempt}`)).toEqual([
      'repeated 1',
      'dead-lettered 2',
    ]);
    expect(app.settled[1]).toMatchObject({
      reason: 'repeats-exhausted',
      error: expect.objectContaining({ message: 'interceptor down' }),
    });
  });

  it("can be every consumer's default in a feature module, and turned off by one", async () => {
    @Injectable()
    class Billing {
      constructor(readonly journal: Journal) {}
      @Consume({ queue: 'billing.orders', bindingKeys: ['order.placed'] })
      @UseGuards(AllowGuard)
      charge(): void {
        this.journal.add('charged');
      }
      @Consume({ queue: 'billing.audit', bindingKeys: ['order.placed'], enhancers: false })
      @UseGuards(DenyGuard)
      audit(): void {
        this.journal.add('audited');
      }
    }
    @Module({
      imports: [TidingsModule.forFeature({ consumerDefaults: { enhancers: true } })],
      providers: [Billing, Journal, AllowGuard, DenyGuard],
      exports: [Journal],
    })
    class BillingModule {}
    const app = await start([], [BillingModule]);
    await app.send({ orderId: 'o-1' }, 'order.placed');
    await waitFor(() => app.settled.length === 2, 5000, 'both messages');
    expect(app.settled.map(({ outcome }) => outcome)).toEqual(['acked', 'acked']);
    const journal = app.module.select(BillingModule).get(Journal);
    expect([...journal.entries].sort()).toEqual([
      'audited',
      'charged',
      'guard rpc {"orderId":"o-1"} billing.orders charge',
    ]);
  });
});
