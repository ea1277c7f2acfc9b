// TidingsModule in an application that uses nestjs-cls: ClsModule registers proxy providers (CLS_REQ…)
// whose members cannot be read outside a CLS context, as discovery does at bootstrap.
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClsModule } from 'nestjs-cls';
import { describe, expect, it } from 'vitest';
import { EventDispatcher, MemoryTransport } from '../../src/index.js';
import { OnEvent, TidingsModule } from '../../src/nestjs.js';
import { Journal, OrderPlaced } from './nest-fixtures.js';

describe('TidingsModule beside ClsModule', () => {
  it('skips the proxy providers of nestjs-cls at discovery, and registers the listeners', async () => {
    @Injectable()
    class Mailer {
      constructor(private readonly journal: Journal) {}
      @OnEvent(OrderPlaced)
      onPlaced(event: OrderPlaced): void {
        this.journal.add(`mail ${event.orderId}`);
      }
    }
    @Module({
      imports: [
        ClsModule.forRoot({ global: true }),
        TidingsModule.forRoot({ transport: new MemoryTransport() }),
      ],
      providers: [Journal, Mailer],
    })
    class AppModule {}
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
    try {
      await app.get(EventDispatcher).dispatch(new OrderPlaced('o-1', 42));
      expect(app.get(Journal).entries).toEqual(['mail o-1']);
    } finally {
      await app.close();
    }
  });
});
