// @Consume with class-validator DTOs in a real Nest application, on any transport: run on
// MemoryTransport in the unit project (nest-dto.memory.test.ts) and on RabbitMQ in the integration
// project (test/integration/nestjs/nest-dto.amqp.test.ts). Each test asserts where every message ended
// up: handled and acked, or dead-lettered once with its reason, the handler not run.
import { randomUUID } from 'node:crypto';
import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterEach, describe, expect, it } from 'vitest';
import { Bridge, DeadLetters, Publisher, type SettledOutcome, type Transport } from '../../src/index.js';
import { Consume, TIDINGS_TRANSPORT, TidingsModule, type ConsumeQueueOptions } from '../../src/nestjs.js';
import {
  deleteDeclared,
  mergeNames,
  subscriberNames,
  type DeclaredNames,
} from '../helpers/declared-names.js';
import { CustomerOrderDto, OrderLineDto, PlaceOrderDto, PlainOrder, RefundDto } from './dto-fixtures.js';
import { Journal, orderSchema, waitFor } from './nest-fixtures.js';
import type { NestScenarioContext } from './nest-scenarios.js';

const REPEAT_DELAYS_MS = [30];

/** Where each sent payload ended up: the handler's journal, each outcome, the dead letters' reasons. */
interface Outcomes {
  entries: string[];
  outcomes: (string | undefined)[];
  deadLetters: { index: number; reason: string; message: string | undefined }[];
}

export function nestDtoScenarios(label: string, context: NestScenarioContext): void {
  describe(`@Consume with class-validator DTOs on ${label}`, () => {
    const apps: INestApplicationContext[] = [];
    const declared: Partial<DeclaredNames>[] = [];

    afterEach(async () => {
      for (const app of apps.splice(0)) await app.close();
      const cleaner = context.transport();
      const failed = await deleteDeclared(cleaner, mergeNames(...declared.splice(0)));
      await cleaner.close();
      expect(failed).toEqual([]);
    });

    /**
     * Boots an application whose one provider consumes with `options` (`handle` records what it got in
     * the journal), sends `payloads` in order and waits for each to settle.
     */
    async function consume(
      options: Pick<ConsumeQueueOptions, 'event' | 'schema' | 'validation'>,
      handle: (payload: unknown) => string,
      payloads: unknown[],
    ): Promise<Outcomes & { queue: string }> {
      const id = `t${randomUUID().slice(0, 8)}`;
      const appId = `${id}-app`;
      const queue = `${id}.queue`;
      const routingKey = `${id}.placed`;
      declared.push(
        subscriberNames({ queue, bindingKeys: [routingKey], appId, repeatDelaysMs: REPEAT_DELAYS_MS }),
      );
      @Injectable()
      class Handler {
        constructor(readonly journal: Journal) {}
        @Consume({ queue, bindingKeys: [routingKey], repeatDelaysMs: REPEAT_DELAYS_MS, ...options })
        handle(payload: unknown) {
          this.journal.add(handle(payload));
        }
      }
      @Module({
        imports: [TidingsModule.forRoot({ transport: context.transport, appId })],
        providers: [Journal, Handler],
      })
      class AppModule {}

      const app = await NestFactory.createApplicationContext(AppModule, {
        logger: false,
        abortOnError: false,
      });
      apps.push(app);
      const settled: SettledOutcome[] = [];
      app.get(Bridge).on('settled', (outcome) => settled.push(outcome));
      const transport = app.get<Transport>(TIDINGS_TRANSPORT);
      const publisher = new Publisher(transport, { appId: `${appId}-sender` });
      const ids: string[] = [];
      for (const payload of payloads) ids.push((await publisher.send(payload, routingKey)).messageId);
      await waitFor(() => settled.length >= payloads.length, 5000, `${payloads.length} settled messages`);
      // Settled once each: an invalid payload is never repeated.
      expect(settled).toHaveLength(payloads.length);
      const outcomes = ids.map((messageId) => {
        const outcome = settled.find((s) => s.messageId === messageId);
        return outcome?.outcome === 'dead-lettered' ? `dead-lettered ${outcome.reason}` : outcome?.outcome;
      });
      const deadLetters = (await new DeadLetters(transport, { appId }).list()).map((d) => ({
        index: ids.indexOf(d.messageId ?? ''),
        reason: d.reason,
        message: d.error?.message,
      }));
      return { queue, entries: app.get(Journal).entries, outcomes, deadLetters };
    }

    it('hands the handler a validated instance; an invalid payload is dead-lettered with each failed constraint', async () => {
      const valid = { orderId: 'o-1', total: 42, lines: [{ sku: 'tea', quantity: 2 }], coupon: 'X' };
      const invalid = { orderId: 7, total: -1, lines: [] };
      const { queue, entries, outcomes, deadLetters } = await consume(
        { event: PlaceOrderDto },
        (order) => {
          const dto = order as PlaceOrderDto;
          const line = dto.lines[0]!;
          // whitelist (the default): `coupon`, which no decorator declares, is stripped.
          return `${dto instanceof PlaceOrderDto} ${dto.orderId} ${line instanceof OrderLineDto} ${line.sku} x${line.quantity} coupon=${'coupon' in dto}`;
        },
        [valid, invalid],
      );
      expect(entries).toEqual(['true o-1 true tea x2 coupon=false']);
      expect(outcomes).toEqual(['acked', 'dead-lettered invalid-content']);
      expect(deadLetters).toEqual([
        {
          index: 1,
          reason: 'invalid-content',
          message: `The payload of a message of ${queue} is not a valid PlaceOrderDto: orderId: orderId must be a string; total: total must not be less than 0`,
        },
      ]);
    });

    it('validates nested DTOs (@ValidateNested with @Type), naming each failure by its dotted path', async () => {
      const { queue, entries, outcomes, deadLetters } = await consume(
        { event: PlaceOrderDto },
        (order) => `handled ${(order as PlaceOrderDto).orderId}`,
        [
          {
            orderId: 'o-1',
            total: 5,
            lines: [
              { sku: 'tea', quantity: 1 },
              { sku: 42, quantity: 0 },
            ],
          },
          { orderId: 'o-2', total: 5, lines: [{ sku: 'tea', quantity: 1 }] },
        ],
      );
      expect(entries).toEqual(['handled o-2']);
      expect(outcomes).toEqual(['dead-lettered invalid-content', 'acked']);
      expect(deadLetters.map((d) => [d.index, d.message])).toEqual([
        [
          0,
          `The payload of a message of ${queue} is not a valid PlaceOrderDto: lines.1.sku: sku must be a string; lines.1.quantity: quantity must not be less than 1`,
        ],
      ]);
    });

    it('runs asynchronous custom validators', async () => {
      const { queue, entries, outcomes, deadLetters } = await consume(
        { event: CustomerOrderDto },
        (order) => `handled ${(order as CustomerOrderDto).orderId}`,
        [
          { orderId: 'o-1', customerId: 'c-1' },
          { orderId: 'o-2', customerId: 'c-9' },
        ],
      );
      expect(entries).toEqual(['handled o-1']);
      expect(outcomes).toEqual(['acked', 'dead-lettered invalid-content']);
      expect(deadLetters.map((d) => d.message)).toEqual([
        `The payload of a message of ${queue} is not a valid CustomerOrderDto: customerId: customerId is not a known customer`,
      ]);
    });

    it('a DTO with a static fromPayload is built by it, then validated', async () => {
      const { queue, entries, outcomes, deadLetters } = await consume(
        { event: RefundDto },
        (refund) => `${refund instanceof RefundDto} refund ${(refund as RefundDto).amount}`,
        [
          { orderId: 'o-1', amountCents: 250 },
          { orderId: 'o-2', amountCents: 0 },
        ],
      );
      expect(entries).toEqual(['true refund 2.5']);
      expect(outcomes).toEqual(['acked', 'dead-lettered invalid-content']);
      expect(deadLetters.map((d) => d.message)).toEqual([
        `The payload of a message of ${queue} is not a valid RefundDto: amount: amount must not be less than 0.01`,
      ]);
    });

    it('a class without decorators is hydrated as before: keys copied, nothing validated or stripped', async () => {
      const { entries, outcomes, deadLetters } = await consume(
        { event: PlainOrder },
        (order) => `${order instanceof PlainOrder} ${JSON.stringify(order)}`,
        [{ orderId: 7, total: 'lots', extra: true }],
      );
      expect(entries).toEqual(['true {"orderId":7,"total":"lots","extra":true}']);
      expect(outcomes).toEqual(['acked']);
      expect(deadLetters).toEqual([]);
    });

    it('with a schema, the schema validates first, then the DTO its output', async () => {
      const { queue, entries, outcomes, deadLetters } = await consume(
        { schema: orderSchema, event: PlaceOrderDto },
        (order) => `handled ${JSON.stringify(order)}`,
        [
          { orderId: 'o-1', total: 'lots' },
          { orderId: 'o-2', total: -5 },
          // The schema's output keeps orderId and total only: the DTO never sees these lines.
          { orderId: 'o-3', total: 5, lines: [{ sku: 42 }] },
        ],
      );
      expect(entries).toEqual(['handled {"orderId":"o-3","total":5}']);
      expect(outcomes).toEqual(['dead-lettered invalid-content', 'dead-lettered invalid-content', 'acked']);
      expect(deadLetters.map((d) => [d.index, d.message])).toEqual([
        [0, `The payload of a message of ${queue} is invalid: total: must be a number`],
        [
          1,
          `The payload of a message of ${queue} is not a valid PlaceOrderDto: total: total must not be less than 0`,
        ],
      ]);
    });

    it('validation: false skips the DTO validation; forbidNonWhitelisted refuses undeclared properties', async () => {
      const skipped = await consume(
        { event: PlaceOrderDto, validation: false },
        (order) => `${order instanceof PlaceOrderDto} ${(order as PlaceOrderDto).orderId}`,
        [{ orderId: 7 }],
      );
      expect(skipped.entries).toEqual(['true 7']);
      expect(skipped.outcomes).toEqual(['acked']);

      const strict = await consume(
        { event: CustomerOrderDto, validation: { forbidNonWhitelisted: true } },
        () => 'handled',
        [{ orderId: 'o-1', customerId: 'c-1', coupon: 'X' }],
      );
      expect(strict.entries).toEqual([]);
      expect(strict.deadLetters.map((d) => d.message)).toEqual([
        `The payload of a message of ${strict.queue} is not a valid CustomerOrderDto: coupon: property coupon should not exist`,
      ]);
    });
  });
}
