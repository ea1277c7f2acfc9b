// TidingsModule's dispatchContext: the Flusher's dispatches, those of flusher.transaction() and those
// made for a transaction it did not run (dispatchAfterCommit, as RecordedEventsSubscriber calls it), run
// inside the context it makes. With @nestjs-cls/transactional that is txHost.withoutTransaction():
// test/integration/nestjs/nest-transactions.test.ts.
import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { describe, expect, it } from 'vitest';
import { AggregateRoot, Flusher, MemoryTransport } from '../../src/index.js';
import { OnEvent, TidingsModule } from '../../src/nestjs.js';
import { OrderPlaced } from './nest-fixtures.js';

class Order extends AggregateRoot {
  constructor(readonly id: string) {
    super();
    this.recordEvent(new OrderPlaced(id, 1));
  }
}

const context = new AsyncLocalStorage<string>();

@Injectable()
class Listener {
  readonly seen: string[] = [];
  @OnEvent(OrderPlaced)
  onPlaced(event: OrderPlaced): void {
    this.seen.push(`${event.orderId} in ${context.getStore() ?? 'no context'}`);
  }
}

describe('TidingsModule dispatchContext', () => {
  it('runs each dispatch of the Flusher in the context it makes', async () => {
    @Module({
      imports: [
        TidingsModule.forRoot({
          transport: new MemoryTransport(),
          dispatchContext: (dispatch) => context.run('dispatch context', dispatch),
        }),
      ],
      providers: [Listener],
    })
    class AppModule {}
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
    try {
      const flusher = app.get(Flusher);
      await context.run('caller', () => flusher.transaction(async () => [new Order('o-1')]));
      await context.run('commit hook', () => flusher.dispatchAfterCommit([new Order('o-2')]));
      expect(app.get(Listener).seen).toEqual(['o-1 in dispatch context', 'o-2 in dispatch context']);
    } finally {
      await app.close();
    }
  });
});
