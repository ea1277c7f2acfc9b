// @Consume's DTO validation when its optional peers cannot be loaded from tidings' location: without
// class-transformer the DTO is hydrated as any event class, then validated; with class-validator's
// decorators in use but the package not loadable, the application refuses to start rather than run
// handlers on payloads nobody validated. Also: the `validation` option is checked by the decorator.
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  Bridge,
  InvalidArgumentError,
  MemoryTransport,
  PeerDependencyMissingError,
  Publisher,
  type SettledOutcome,
} from '../../src/index.js';
import type * as RequireOptional from '../../src/internal/require-optional.js';
import { Consume, TidingsModule, type ConsumeQueueOptions } from '../../src/nestjs.js';
import { CustomerOrderDto } from './dto-fixtures.js';

const refused = vi.hoisted(() => new Set<string>());
vi.mock('../../src/internal/require-optional.js', async (importOriginal) => {
  const original = await importOriginal<typeof RequireOptional>();
  return {
    requireOptional: (name: string) => (refused.has(name) ? undefined : original.requireOptional(name)),
  };
});

afterEach(() => refused.clear());

/** Boots an application consuming into `event`, sends `payload`; the outcome and what the handler got. */
async function consumeOne(options: Pick<ConsumeQueueOptions, 'event'>, payload: unknown) {
  const handled: unknown[] = [];
  @Injectable()
  class Handler {
    @Consume({ queue: 'billing.orders', bindingKeys: ['order.placed'], ...options })
    handle(order: unknown) {
      handled.push(order);
    }
  }
  @Module({ imports: [TidingsModule.forRoot({ transport: new MemoryTransport() })], providers: [Handler] })
  class AppModule {}
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
  try {
    const settled = new Promise<SettledOutcome>((resolve) => app.get(Bridge).once('settled', resolve));
    await new Publisher(app.get(Bridge).transport).send(payload, 'order.placed');
    return { outcome: await settled, handled };
  } finally {
    await app.close();
  }
}

describe('@Consume DTO validation and its optional peers', () => {
  it('without class-transformer, hydrates the DTO as any event class, then validates it', async () => {
    refused.add('class-transformer');
    const good = await consumeOne({ event: CustomerOrderDto }, { orderId: 'o-1', customerId: 'c-1' });
    expect(good.outcome).toMatchObject({ outcome: 'acked' });
    expect(good.handled[0]).toBeInstanceOf(CustomerOrderDto);
    const bad = await consumeOne({ event: CustomerOrderDto }, { orderId: 1, customerId: 'c-1' });
    expect(bad.outcome).toMatchObject({ outcome: 'dead-lettered', reason: 'invalid-content' });
    expect(bad.handled).toEqual([]);
  });

  it('with decorators in use but class-validator not loadable, refuses to start, naming the method', async () => {
    refused.add('class-validator');
    const error = await consumeOne({ event: CustomerOrderDto }, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PeerDependencyMissingError);
    expect(error).toMatchObject({
      packageName: 'class-validator',
      message:
        '@Consume on Handler.handle (validating CustomerOrderDto) needs the package "class-validator": npm install class-validator',
    });
  });

  it('checks the validation option when decorating', () => {
    const consume = (validation: unknown) => () =>
      Consume({ queue: 'q', bindingKeys: ['x.y'], event: CustomerOrderDto, validation: validation as false });
    expect(consume(false)).not.toThrow();
    expect(consume({ whitelist: false, groups: ['a'] })).not.toThrow();
    expect(consume(true)).toThrow(InvalidArgumentError);
    expect(consume(true)).toThrow(
      '@Consume("q"): "validation" must be false or class-validator options, got boolean true',
    );
    expect(consume({ whitelst: true })).toThrow(/@Consume\("q"\): "validation": unknown option "whitelst"/);
  });
});
