// The Nest module in a real Nest application, on any transport: run on MemoryTransport in the unit
// project (nestjs.memory.test.ts) and on RabbitMQ in the integration project
// (test/integration/nestjs/nestjs.amqp.test.ts). Each test asserts where every message ended up.
import { randomUUID } from 'node:crypto';
import { Injectable, Module, Scope, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Bridge,
  DeadLetters,
  EventDispatcher,
  MemoryOutbox,
  OutboxRelay,
  Publisher,
  type ConsumedMessage,
  type SettledOutcome,
  type Transport,
} from '../../src/index.js';
import { Consume, OnEvent, TIDINGS_TRANSPORT, TidingsModule } from '../../src/nestjs.js';
import {
  deleteDeclared,
  mergeNames,
  subscriberNames,
  type DeclaredNames,
} from '../helpers/declared-names.js';
import {
  Gate,
  InjectRequest,
  Journal,
  OrderPlaced,
  PerMessageCounter,
  orderSchema,
  waitFor,
  type Request,
} from './nest-fixtures.js';

export interface NestScenarioContext {
  /** A new transport to the broker under test; the application (or the test) closes it. */
  transport(): Transport;
}

/** Short repeat delays, so that the failure scenarios take milliseconds. */
const REPEAT_DELAYS_MS = [30];

export function nestScenarios(label: string, context: NestScenarioContext): void {
  describe(`TidingsModule in a Nest application on ${label}`, () => {
    const apps: INestApplicationContext[] = [];
    const declared: Partial<DeclaredNames>[] = [];

    afterEach(async () => {
      for (const app of apps.splice(0)) await app.close();
      const cleaner = context.transport();
      const failed = await deleteDeclared(cleaner, mergeNames(...declared.splice(0)));
      await cleaner.close();
      expect(failed).toEqual([]);
    });

    /** Unique names per test (`t` + 8 hex digits, a pattern test/setup/leftovers.ts knows). */
    function names() {
      const id = `t${randomUUID().slice(0, 8)}`;
      const appId = `${id}-app`;
      const queue = `${id}.queue`;
      const routingKey = `${id}.placed`;
      declared.push(
        subscriberNames({ queue, bindingKeys: [routingKey], appId, repeatDelaysMs: REPEAT_DELAYS_MS }),
      );
      return { id, appId, queue, routingKey };
    }

    /** Boots a Nest application context (what NestFactory.create does, without HTTP) on `AppModule`. */
    async function boot(module: new () => object): Promise<INestApplicationContext> {
      const app = await NestFactory.createApplicationContext(module, { logger: false, abortOnError: false });
      apps.push(app);
      return app;
    }

    async function send(transport: Transport, appId: string, payload: unknown, routingKey: string) {
      return new Publisher(transport, { appId: `${appId}-sender` }).send(payload, routingKey);
    }

    function settledOf(app: INestApplicationContext): SettledOutcome[] {
      const settled: SettledOutcome[] = [];
      app.get(Bridge).on('settled', (outcome) => settled.push(outcome));
      return settled;
    }

    it('registers @OnEvent methods of providers at bootstrap, by priority, bound to their instance', async () => {
      @Injectable()
      class Mailer {
        constructor(readonly journal: Journal) {}
        @OnEvent(OrderPlaced)
        mail(event: OrderPlaced) {
          this.journal.add(`mail ${event.orderId}`);
        }
      }
      @Injectable()
      class FraudCheck {
        constructor(readonly journal: Journal) {}
        @OnEvent(OrderPlaced, { priority: 100 })
        check(event: OrderPlaced) {
          this.journal.add(`check ${event.orderId}`);
        }
      }
      @Injectable()
      class Analytics {
        constructor(readonly journal: Journal) {}
        @OnEvent(OrderPlaced)
        count(event: OrderPlaced) {
          this.journal.add(`count ${event.orderId}`);
        }
      }
      const transport = context.transport();
      @Module({
        imports: [TidingsModule.forRoot({ transport, appId: names().appId })],
        providers: [Journal, Mailer, FraudCheck, Analytics],
      })
      class AppModule {}

      const app = await boot(AppModule);
      await app.get(EventDispatcher).dispatch(new OrderPlaced('o-1', 42));
      // Priority 100 first; equal priorities in the order Nest lists the providers.
      expect(app.get(Journal).entries).toEqual(['check o-1', 'mail o-1', 'count o-1']);
      expect(
        app
          .get(EventDispatcher)
          .getListeners(OrderPlaced)
          .map((l) => l.name),
      ).toEqual(['FraudCheck.check', 'Mailer.mail', 'Analytics.count']);
      expect(app.get(TIDINGS_TRANSPORT)).toBe(transport);
    });

    it('resolves a request-scoped listener anew for each event, with the event as its REQUEST', async () => {
      @Injectable({ scope: Scope.REQUEST })
      class Auditor {
        constructor(
          readonly journal: Journal,
          readonly counter: PerMessageCounter,
          @InjectRequest() readonly request: Request,
        ) {}
        @OnEvent(OrderPlaced)
        audit(event: OrderPlaced) {
          const same = this.request.event === event;
          this.journal.add(`audit ${event.orderId} #${this.counter.serial} request=${String(same)}`);
        }
      }
      @Module({
        imports: [TidingsModule.forRoot({ transport: context.transport, appId: names().appId })],
        providers: [Journal, Auditor, PerMessageCounter],
      })
      class AppModule {}

      const app = await boot(AppModule);
      const dispatcher = app.get(EventDispatcher);
      await dispatcher.dispatch(new OrderPlaced('o-1', 1));
      await dispatcher.dispatch(new OrderPlaced('o-2', 2));
      const entries = app.get(Journal).entries;
      expect(entries).toHaveLength(2);
      const serials = entries.map((entry) => Number(/#(\d+)/.exec(entry)![1]));
      expect(serials[1]).toBeGreaterThan(serials[0]!);
      expect(entries.map((entry) => entry.replace(/#\d+/, '#n'))).toEqual([
        'audit o-1 #n request=true',
        'audit o-2 #n request=true',
      ]);
    });

    it('@Consume: a valid message is handled once and acked; an invalid one is dead-lettered with its reason', async () => {
      const { appId, queue, routingKey } = names();
      @Injectable()
      class Billing {
        constructor(readonly journal: Journal) {}
        @Consume({ queue, bindingKeys: [routingKey], schema: orderSchema, repeatDelaysMs: REPEAT_DELAYS_MS })
        charge(order: { orderId: string; total: number }, message: ConsumedMessage<{ orderId: string }>) {
          this.journal.add(
            `charged ${order.total} for ${message.payload.orderId} (attempt ${message.attempt})`,
          );
        }
      }
      @Module({
        imports: [TidingsModule.forRoot({ transport: context.transport, appId })],
        providers: [Journal, Billing],
      })
      class AppModule {}

      const app = await boot(AppModule);
      const settled = settledOf(app);
      const transport = app.get<Transport>(TIDINGS_TRANSPORT);
      const good = await send(transport, appId, { orderId: 'o-1', total: 42 }, routingKey);
      const bad = await send(transport, appId, { orderId: 'o-2', total: 'lots' }, routingKey);
      await waitFor(() => settled.length === 2, 5000, 'two settled messages');

      expect(app.get(Journal).entries).toEqual(['charged 42 for o-1 (attempt 1)']);
      expect(settled.find((s) => s.messageId === good.messageId)).toMatchObject({
        outcome: 'acked',
        attempt: 1,
      });
      expect(settled.find((s) => s.messageId === bad.messageId)).toMatchObject({
        outcome: 'dead-lettered',
        reason: 'invalid-content',
      });
      const deadLetters = await new DeadLetters(transport, { appId }).list();
      expect(deadLetters.map((d) => [d.messageId, d.reason, d.queue, d.error?.message])).toEqual([
        [
          bad.messageId,
          'invalid-content',
          queue,
          `The payload of a message of ${queue} is invalid: total: must be a number`,
        ],
      ]);
    });

    it('@Consume with an event class hands the handler an instance of it', async () => {
      const { appId, queue, routingKey } = names();
      @Injectable()
      class Warehouse {
        constructor(readonly journal: Journal) {}
        @Consume({ queue, bindingKeys: [routingKey], event: OrderPlaced, repeatDelaysMs: REPEAT_DELAYS_MS })
        ship(event: OrderPlaced) {
          this.journal.add(`${event instanceof OrderPlaced ? 'OrderPlaced' : 'plain'} ${event.orderId}`);
        }
      }
      @Module({
        imports: [TidingsModule.forRoot({ transport: context.transport, appId })],
        providers: [Journal, Warehouse],
      })
      class AppModule {}

      const app = await boot(AppModule);
      const settled = settledOf(app);
      await send(app.get(TIDINGS_TRANSPORT), appId, { orderId: 'o-1', total: 42 }, routingKey);
      await waitFor(() => settled.length === 1, 5000, 'the message settled');
      expect(app.get(Journal).entries).toEqual(['OrderPlaced o-1']);
      expect(settled[0]).toMatchObject({ outcome: 'acked' });
    });

    it('a failing handler is repeated, then dead-lettered; the application goes on', async () => {
      const { appId, queue, routingKey } = names();
      @Injectable()
      class Billing {
        constructor(readonly journal: Journal) {}
        @Consume<{ orderId: string }>({
          queue,
          bindingKeys: [routingKey],
          maxAttempts: 3,
          repeatDelaysMs: REPEAT_DELAYS_MS,
        })
        charge(order: { orderId: string }, message: ConsumedMessage) {
          this.journal.add(`${order.orderId} attempt ${message.attempt}`);
          if (order.orderId === 'o-bad') throw new Error('card declined');
        }
      }
      @Module({
        imports: [TidingsModule.forRoot({ transport: context.transport, appId })],
        providers: [Journal, Billing],
      })
      class AppModule {}

      const app = await boot(AppModule);
      const settled = settledOf(app);
      const transport = app.get<Transport>(TIDINGS_TRANSPORT);
      const bad = await send(transport, appId, { orderId: 'o-bad' }, routingKey);
      await waitFor(() => settled.some((s) => s.outcome === 'dead-lettered'), 5000, 'the dead letter');
      const good = await send(transport, appId, { orderId: 'o-good' }, routingKey);
      await waitFor(() => settled.some((s) => s.messageId === good.messageId), 5000, 'the next message');

      expect(
        settled.map((s) => [s.messageId === bad.messageId ? 'bad' : 'good', s.outcome, s.attempt]),
      ).toEqual([
        ['bad', 'repeated', 1],
        ['bad', 'repeated', 2],
        ['bad', 'dead-lettered', 3],
        ['good', 'acked', 1],
      ]);
      expect(app.get(Journal).entries).toEqual([
        'o-bad attempt 1',
        'o-bad attempt 2',
        'o-bad attempt 3',
        'o-good attempt 1',
      ]);
      const [deadLetter, ...others] = await new DeadLetters(transport, { appId }).list();
      expect(others).toEqual([]);
      expect(deadLetter).toMatchObject({
        messageId: bad.messageId,
        reason: 'repeats-exhausted',
        attempts: 3,
        queue,
        error: { name: 'Error', message: 'card declined' },
      });
    });

    it('a request-scoped consumer gets a fresh instance (and dependencies) per message, the message as REQUEST', async () => {
      const { appId, queue, routingKey } = names();
      const instances = new Set<object>();
      @Injectable({ scope: Scope.REQUEST })
      class Invoicer {
        constructor(
          readonly journal: Journal,
          readonly counter: PerMessageCounter,
          @InjectRequest() readonly request: Request,
        ) {
          instances.add(this);
        }
        @Consume<{ orderId: string }>({
          queue,
          bindingKeys: [routingKey],
          prefetch: 1,
          repeatDelaysMs: REPEAT_DELAYS_MS,
        })
        invoice(order: { orderId: string }, message: ConsumedMessage) {
          const same = this.request.message?.attempt === message.attempt;
          this.journal.add(`${order.orderId} #${this.counter.serial} request=${String(same)}`);
        }
      }
      @Module({
        imports: [TidingsModule.forRoot({ transport: context.transport, appId })],
        providers: [Journal, Invoicer, PerMessageCounter],
      })
      class AppModule {}

      const app = await boot(AppModule);
      const settled = settledOf(app);
      const transport = app.get<Transport>(TIDINGS_TRANSPORT);
      for (const orderId of ['o-1', 'o-2', 'o-3']) await send(transport, appId, { orderId }, routingKey);
      await waitFor(() => settled.length === 3, 5000, 'three settled messages');

      expect(settled.map((s) => s.outcome)).toEqual(['acked', 'acked', 'acked']);
      expect(instances.size).toBe(3);
      const entries = app.get(Journal).entries;
      const serials = entries.map((entry) => Number(/#(\d+)/.exec(entry)![1]));
      expect(new Set(serials).size).toBe(3);
      expect(entries.map((entry) => entry.replace(/#\d+/, '#n'))).toEqual([
        'o-1 #n request=true',
        'o-2 #n request=true',
        'o-3 #n request=true',
      ]);
    });

    it('on shutdown, running handlers finish and are acked, then the relay stops, then the transport closes', async () => {
      const { appId, queue, routingKey } = names();
      const gate = new Gate();
      const steps: string[] = [];
      @Injectable()
      class SlowBilling {
        running = 0;
        @Consume<{ orderId: string }>({
          queue,
          bindingKeys: [routingKey],
          prefetch: 5,
          repeatDelaysMs: REPEAT_DELAYS_MS,
        })
        async charge(order: { orderId: string }) {
          this.running++;
          await gate.opened;
          steps.push(`handled ${order.orderId}`);
        }
      }
      const transport = context.transport();
      const outbox = new MemoryOutbox();
      const relay = new OutboxRelay({ outbox, transport, pollIntervalMs: 20 });
      @Module({
        imports: [TidingsModule.forRoot({ transport, appId, outbox, relay })],
        providers: [SlowBilling],
      })
      class AppModule {}

      const app = await boot(AppModule);
      const settled = settledOf(app);
      // Each step is recorded when it has finished.
      const bridge = app.get(Bridge);
      const closeBridge = bridge.close.bind(bridge);
      bridge.close = async () => {
        await closeBridge();
        steps.push('consumers stopped');
      };
      const stopRelay = relay.stop.bind(relay);
      relay.stop = async () => {
        await stopRelay();
        steps.push('relay stopped');
      };
      const closeTransport = transport.close.bind(transport);
      transport.close = async (options) => {
        await closeTransport(options);
        steps.push('transport closed');
      };

      const sender = context.transport();
      const sent = [];
      for (const orderId of ['o-1', 'o-2', 'o-3'])
        sent.push(await send(sender, appId, { orderId }, routingKey));
      const billing = app.get(SlowBilling);
      await waitFor(() => billing.running === 3, 5000, 'three running handlers');

      const closing = app.close();
      apps.splice(apps.indexOf(app), 1);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(steps).toEqual([]); // the consumers wait for their handlers
      gate.open();
      await closing;

      expect(steps).toEqual([
        'handled o-1',
        'handled o-2',
        'handled o-3',
        'consumers stopped',
        'relay stopped',
        'transport closed',
      ]);
      expect(settled.map((s) => [s.messageId, s.outcome])).toEqual(sent.map((s) => [s.messageId, 'acked']));
      // Nothing left to be delivered again: the queue is empty once the application's channels closed.
      expect(await sender.queueStats(queue)).toMatchObject({ messageCount: 0 });
      await sender.close();
    });
  });
}
