// TidingsModule.forFeature in a Nest application on MemoryTransport: the consumer defaults of a feature
// module apply to its own consumers only, the decorator's options win over them, its forward routes are
// published by the root bridge, and every mistake is an InvalidArgumentError naming it.
import { Injectable, Module } from '@nestjs/common';
import { afterEach, describe, expect, it } from 'vitest';
import { EventDispatcher, InvalidArgumentError } from '../../src/index.js';
import { Consume, TidingsModule } from '../../src/nestjs.js';
import { Journal, OrderPlaced, waitFor } from './nest-fixtures.js';
import { memoryBroker, startApp, startError, type TestingApp } from './nest-testing-app.js';

const apps: TestingApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

/** Always fails: the number of attempts says which maxAttempts applied. */
@Injectable()
class FailingBilling {
  @Consume({ queue: 'billing.orders', bindingKeys: ['order.placed'], repeatDelaysMs: [0] })
  charge(): void {
    throw new Error('card declined');
  }
}

@Injectable()
class FailingShipping {
  @Consume({ queue: 'shipping.orders', bindingKeys: ['order.placed'], repeatDelaysMs: [0] })
  ship(): void {
    throw new Error('no stock');
  }
}

@Injectable()
class OverridingInvoices {
  @Consume({ queue: 'invoices.orders', bindingKeys: ['order.placed'], maxAttempts: 3 })
  issue(): void {
    throw new Error('printer on fire');
  }
}

describe('TidingsModule.forFeature: consumer defaults', () => {
  it("apply to the feature module's consumers only; the decorator's own options win over them", async () => {
    @Module({
      imports: [TidingsModule.forFeature({ consumerDefaults: { maxAttempts: 2, repeatDelaysMs: [0] } })],
      providers: [FailingBilling, OverridingInvoices],
    })
    class BillingModule {}
    @Module({ providers: [FailingShipping] })
    class ShippingModule {}
    const { broker, transport } = memoryBroker();
    const app = await startApp(broker, {
      imports: [TidingsModule.forRoot({ transport, appId: 'feature' }), BillingModule, ShippingModule],
    });
    apps.push(app);
    await app.send({ orderId: 'o-1' }, 'order.placed');
    const deadLettered = () => app.settled.filter((outcome) => outcome.outcome === 'dead-lettered');
    await waitFor(() => deadLettered().length === 3, 5000, 'three dead letters');
    const attempts = Object.fromEntries(deadLettered().map((outcome) => [outcome.queue, outcome.attempt]));
    // billing: the feature's 2; invoices: its decorator's 3 (delays from the feature: [0]); shipping,
    // another module: the Consumer's default 5.
    expect(attempts).toEqual({ 'billing.orders': 2, 'invoices.orders': 3, 'shipping.orders': 5 });
    expect(deadLettered().every((outcome) => outcome.reason === 'repeats-exhausted')).toBe(true);
    // Every attempt before the last was repeated, none acked.
    expect(app.settled.filter((outcome) => outcome.outcome === 'acked')).toEqual([]);
    expect(app.settled).toHaveLength(2 + 3 + 5);
  });

  it('one forFeature() imported by two modules applies to both', async () => {
    const feature = TidingsModule.forFeature({ consumerDefaults: { maxAttempts: 1 } });
    @Module({ imports: [feature], providers: [FailingBilling] })
    class BillingModule {}
    @Module({ imports: [feature], providers: [FailingShipping] })
    class ShippingModule {}
    const { broker, transport } = memoryBroker();
    const app = await startApp(broker, {
      imports: [TidingsModule.forRoot({ transport, appId: 'feature' }), BillingModule, ShippingModule],
    });
    apps.push(app);
    await app.send({ orderId: 'o-1' }, 'order.placed');
    await waitFor(() => app.settled.length === 2, 5000, 'two dead letters');
    expect(app.settled.map(({ outcome, attempt }) => `${outcome} ${attempt}`)).toEqual([
      'dead-lettered 1',
      'dead-lettered 1',
    ]);
  });
});

describe('TidingsModule.forFeature: forward routes', () => {
  class InvoiceIssued {
    static eventName = 'invoice.issued';
    constructor(readonly invoiceId: string) {}
  }

  it("are published by the root module's bridge when the event is dispatched", async () => {
    @Injectable()
    class Accounting {
      constructor(readonly journal: Journal) {}
      @Consume({ queue: 'accounting.invoices', bindingKeys: ['invoice.issued'], event: InvoiceIssued })
      book(event: InvoiceIssued): void {
        this.journal.add(`booked ${event.invoiceId}`);
      }
    }
    @Module({
      imports: [
        TidingsModule.forFeature({ forward: [{ event: InvoiceIssued, routingKey: 'invoice.issued' }] }),
      ],
    })
    class InvoicingModule {}
    const { broker, transport } = memoryBroker();
    const app = await startApp(broker, {
      imports: [
        TidingsModule.forRoot({
          transport,
          appId: 'feature',
          forward: [{ event: OrderPlaced, routingKey: 'order.placed' }],
        }),
        InvoicingModule,
      ],
      providers: [Accounting, Journal],
    });
    apps.push(app);
    await app.module.get(EventDispatcher).dispatch(new InvoiceIssued('i-1'));
    await waitFor(() => app.settled.length === 1, 5000, 'the forwarded invoice');
    expect(app.settled[0]).toMatchObject({ outcome: 'acked', queue: 'accounting.invoices', attempt: 1 });
    expect(app.module.get(Journal).entries).toEqual(['booked i-1']);
  });

  it('refuses a route the root module (or another feature) has already, naming both', async () => {
    const route = { event: InvoiceIssued, routingKey: 'invoice.issued' };
    @Module({ imports: [TidingsModule.forFeature({ forward: [route] })] })
    class InvoicingModule {}
    @Module({ imports: [TidingsModule.forFeature({ forward: [route] })] })
    class LedgerModule {}
    const { transport } = memoryBroker();
    const fromRoot = await startError({
      imports: [TidingsModule.forRoot({ transport, forward: [route] }), InvoicingModule],
    });
    expect(fromRoot).toBeInstanceOf(InvalidArgumentError);
    expect((fromRoot as Error).message).toBe(
      'TidingsModule.forFeature in InvoicingModule: "forward" routes invoice.issued to "invoice.issued" ' +
        'already (declared by TidingsModule.forRoot and by TidingsModule.forFeature in InvoicingModule): ' +
        'every such event would be published twice',
    );
    const fromFeatures = await startError({
      imports: [TidingsModule.forRoot({ transport }), InvoicingModule, LedgerModule],
    });
    expect((fromFeatures as Error).message).toContain(
      'declared by TidingsModule.forFeature in InvoicingModule and by TidingsModule.forFeature in LedgerModule',
    );
    // The same route twice in one list is refused where it is written.
    expect(() => TidingsModule.forFeature({ forward: [route, route] })).toThrow(
      /forward" routes invoice.issued to "invoice.issued" already \(declared twice by TidingsModule.forFeature\)/,
    );
  });
});

describe('TidingsModule.forFeature: mistakes', () => {
  it('needs forRoot() in the application', async () => {
    @Module({ imports: [TidingsModule.forFeature({})], providers: [FailingBilling] })
    class BillingModule {}
    const error = await startError({ imports: [BillingModule] });
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(
      /^TidingsModule.forFeature needs TidingsModule.forRoot\(\) or forRootAsync\(\) in the application/,
    );
  });

  it('names a bad option when it is called', () => {
    const forFeature = TidingsModule.forFeature as (options: unknown) => unknown;
    expect(() => forFeature({ consumerDefault: {} })).toThrow(
      new InvalidArgumentError(
        'TidingsModule.forFeature: unknown option "consumerDefault" (known options: consumerDefaults, forward)',
      ),
    );
    expect(() => forFeature({ consumerDefaults: { queue: 'x' } })).toThrow(
      /^TidingsModule.forFeature: consumerDefaults: unknown option "queue"/,
    );
    expect(() => forFeature({ consumerDefaults: { prefetch: 0 } })).toThrow(
      new InvalidArgumentError(
        'TidingsModule.forFeature: consumerDefaults.prefetch must be an integer from 1 to 65535, got number 0',
      ),
    );
    expect(() => forFeature({ consumerDefaults: { enhancers: 'yes' } })).toThrow(
      /consumerDefaults.enhancers must be a boolean, got "yes"/,
    );
    expect(() => forFeature({ forward: [{ routingKey: 'a.b' }] })).toThrow(
      /^TidingsModule.forFeature: forward\[0\].event must be an event class, got undefined/,
    );
    expect(() => forFeature(null)).toThrow(InvalidArgumentError);
  });

  it('refuses two forFeature() in one module', async () => {
    @Module({
      imports: [
        TidingsModule.forFeature({ consumerDefaults: { maxAttempts: 2 } }),
        TidingsModule.forFeature({ consumerDefaults: { maxAttempts: 3 } }),
      ],
      providers: [FailingBilling],
    })
    class BillingModule {}
    const { transport } = memoryBroker();
    const error = await startError({ imports: [TidingsModule.forRoot({ transport }), BillingModule] });
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(/^BillingModule imports TidingsModule.forFeature\(\) twice/);
  });
});
