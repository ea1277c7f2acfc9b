// TidingsModule.forFeature on the local RabbitMQ: a feature module's forward route is published by the
// root bridge to the broker, and its consumer defaults (attempts, repeat delay) apply to its own consumer,
// whose message comes back through the broker's wait queue and is dead-lettered; a consumer of another
// module keeps the root settings and acks. Every queue and exchange declared is deleted afterwards.
import { randomUUID } from 'node:crypto';
import { Injectable, Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { Bridge, EventDispatcher, type SettledOutcome } from '../../../src/index.js';
import { Consume, TidingsModule } from '../../../src/nestjs.js';
import { AmqpTransport } from '../../../src/rabbitmq.js';
import { deleteDeclared, mergeNames, subscriberNames } from '../../helpers/declared-names.js';
import { waitFor } from '../../nestjs/nest-fixtures.js';
import { AMQP_URL } from '../servers.js';

/** Unique names (`t` + 8 hex digits, a pattern test/setup/leftovers.ts knows). */
const prefix = `t${randomUUID().slice(0, 8)}`;
const appId = `${prefix}-app`;
const routingKey = `${prefix}.issued`;
const REPEAT_DELAYS_MS = [50];

class InvoiceIssued {
  static eventName = 'invoice.issued';
  constructor(readonly invoiceId: string) {}
}

@Injectable()
class Archive {
  @Consume({ queue: `${prefix}.archive`, bindingKeys: [routingKey] })
  archive(): void {}
}

@Injectable()
class Printing {
  @Consume({ queue: `${prefix}.printing`, bindingKeys: [routingKey] })
  print(): void {
    throw new Error('printer on fire');
  }
}

@Module({
  imports: [
    TidingsModule.forFeature({
      consumerDefaults: { maxAttempts: 2, repeatDelaysMs: REPEAT_DELAYS_MS },
      forward: [{ event: InvoiceIssued, routingKey }],
    }),
  ],
  providers: [Printing],
})
class InvoicingModule {}

const modules: TestingModule[] = [];
afterEach(async () => {
  for (const module of modules.splice(0)) await module.close();
  const cleaner = new AmqpTransport({ url: AMQP_URL });
  const failed = await deleteDeclared(
    cleaner,
    mergeNames(
      subscriberNames({ queue: `${prefix}.archive`, bindingKeys: [routingKey], appId }),
      subscriberNames({
        queue: `${prefix}.printing`,
        bindingKeys: [routingKey],
        appId,
        repeatDelaysMs: REPEAT_DELAYS_MS,
      }),
    ),
  );
  await cleaner.close();
  expect(failed).toEqual([]);
});

describe('TidingsModule.forFeature on RabbitMQ', () => {
  it("publishes the feature's routes and applies its consumer defaults to its own consumers", async () => {
    const module = await Test.createTestingModule({
      imports: [
        TidingsModule.forRoot({ transport: () => new AmqpTransport({ url: AMQP_URL }), appId }),
        InvoicingModule,
      ],
      providers: [Archive],
    })
      .setLogger({ log() {}, error() {}, warn() {} })
      .compile();
    modules.push(module);
    const settled: SettledOutcome[] = [];
    module.get(Bridge).on('settled', (outcome) => settled.push(outcome));
    await module.init();

    await module.get(EventDispatcher).dispatch(new InvoiceIssued('i-1'));
    await waitFor(() => settled.length === 3, 10_000, 'three settlements');
    const byQueue = settled.map(({ queue, outcome, attempt }) => `${queue} ${outcome} ${attempt}`).sort();
    expect(byQueue).toEqual([
      `${prefix}.archive acked 1`,
      `${prefix}.printing dead-lettered 2`,
      `${prefix}.printing repeated 1`,
    ]);
    const repeated = settled.find((outcome) => outcome.outcome === 'repeated');
    expect(repeated).toMatchObject({ delayMs: 50 });
  });
});
