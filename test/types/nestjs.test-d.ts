import { describe, expectTypeOf, test } from 'vitest';
import type { ConsumedMessage, StandardSchemaV1, Transport } from 'tidings';
import { Consume, TidingsModule, type ForwardRoute, type TidingsModuleOptions } from 'tidings/nestjs';
import { PgOutbox, PgUnitOfWork } from 'tidings/postgres';

class OrderPlaced {
  constructor(
    readonly orderId: string,
    readonly total: number,
  ) {}
}
class UserBanned {
  constructor(readonly userId: string) {}
}

declare const orderSchema: StandardSchemaV1<unknown, { orderId: string }>;
declare const transport: Transport;

describe('@Consume', () => {
  test('the payload type comes from the schema, the event class, or the type argument', () => {
    class Handlers {
      @Consume({ queue: 'q', bindingKeys: ['a.b'], schema: orderSchema })
      validated(order: { orderId: string }, message: ConsumedMessage<{ orderId: string }>) {
        expectTypeOf(message.payload).toEqualTypeOf<{ orderId: string }>();
        return order.orderId;
      }

      @Consume({ queue: 'q', bindingKeys: ['a.b'], event: OrderPlaced })
      hydrated(event: OrderPlaced) {
        return event.total;
      }

      @Consume<{ orderId: string }>({ queue: 'q', bindingKeys: ['a.b'] })
      asserted(order: { orderId: string }) {
        return order.orderId;
      }

      @Consume({ queue: 'q', bindingKeys: ['a.b'] })
      unchecked(payload: unknown) {
        return payload;
      }

      // @ts-expect-error the schema's output has no `total`
      @Consume({ queue: 'q', bindingKeys: ['a.b'], schema: orderSchema })
      wrongShape(order: { total: number }) {
        return order.total;
      }

      // @ts-expect-error without schema, event or type argument, the payload is unknown
      @Consume({ queue: 'q', bindingKeys: ['a.b'] })
      assumed(order: { orderId: string }) {
        return order.orderId;
      }

      // @ts-expect-error the handler receives an OrderPlaced, not a UserBanned
      @Consume({ queue: 'q', bindingKeys: ['a.b'], event: OrderPlaced })
      wrongEvent(event: UserBanned) {
        return event.userId;
      }
    }
    expectTypeOf(Handlers).toBeObject();
  });
});

describe('TidingsModule options', () => {
  test('forward routes of several classes, each toPayload typed by its own class', () => {
    const forward: ForwardRoute[] = [
      { event: OrderPlaced, routingKey: 'order.placed', toPayload: (e: OrderPlaced) => ({ id: e.orderId }) },
      { event: UserBanned, routingKey: 'user.banned' },
    ];
    expectTypeOf(TidingsModule.forRoot({ transport, forward })).toBeObject();
  });

  test('a PostgreSQL unit of work and outbox fit', () => {
    const unitOfWork = {} as PgUnitOfWork;
    const outbox = {} as PgOutbox;
    expectTypeOf<{
      transport: Transport;
      unitOfWork: PgUnitOfWork;
      outbox: PgOutbox;
    }>().toExtend<TidingsModuleOptions>();
    expectTypeOf(TidingsModule.forRoot({ transport: () => transport, unitOfWork, outbox })).toBeObject();
  });

  test('forRootAsync types the factory arguments as the caller declares them', () => {
    class Config {
      appId = 'x';
    }
    TidingsModule.forRootAsync({
      inject: [Config],
      useFactory: (config: Config) => ({ transport, appId: config.appId }),
    });
    // @ts-expect-error the factory must return the options
    TidingsModule.forRootAsync({ useFactory: () => ({ appId: 'x' }) });
  });
});

describe('TidingsModule.forFeature', () => {
  test('takes consumer settings as defaults, not what names a queue; forward routes of any class', () => {
    TidingsModule.forFeature({
      consumerDefaults: { prefetch: 5, maxAttempts: 3, queueType: 'quorum', enhancers: true },
      forward: [
        {
          event: OrderPlaced,
          routingKey: 'order.placed',
          toPayload: (e: OrderPlaced) => ({ id: e.orderId }),
        },
        { event: UserBanned, routingKey: 'user.banned' },
      ],
    });
    TidingsModule.forFeature();
    // @ts-expect-error: a queue is the decorator's, not a default
    TidingsModule.forFeature({ consumerDefaults: { queue: 'q' } });
    // @ts-expect-error: enhancers is a boolean
    TidingsModule.forFeature({ consumerDefaults: { enhancers: 'yes' } });
  });
});
