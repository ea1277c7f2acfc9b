// One wire format, whichever way an event leaves: sent directly (Bridge.forward, Publisher.send) or
// through the transactional outbox, a consumer must receive the same bytes, the same properties and the
// same headers. Run on MemoryOutbox + MemoryTransport (unit project) and on PgOutbox + RabbitMQ
// (integration project).
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AggregateRoot,
  Bridge,
  encodeOutboxMessage,
  EventDispatcher,
  Flusher,
  OutboxRelay,
  Publisher,
  type Delivery,
  type Outbox,
  type Transport,
  type UnitOfWork,
} from '../../src/index.js';

export interface WireContext<Tx> {
  transport: Transport;
  unitOfWork: UnitOfWork<Tx>;
  outbox: Outbox<Tx>;
  /** Headers only this transport can carry (a bigint is an AMQP int64; the memory transport refuses it). */
  extraHeaders?: Record<string, unknown>;
}

/**
 * Header values JSON cannot hold — a `Date`, `Buffer`s, amqplib's typed values, a table nested in an
 * array — under keys whose order must be kept (the header table is written in key order).
 */
export function awkwardHeaders(): Record<string, unknown> {
  return {
    'z-first': 'keys keep their order',
    'x-sent-at': new Date('2024-02-29T23:59:59.123Z'),
    'x-label': Buffer.from([0, 1, 254, 255]),
    'x-count': { '!': 'uint16', value: 300 },
    'x-ratio': { '!': 'float', value: 0.5 },
    'x-nested': { list: ['a', 2, Buffer.from('b'), new Date('2020-01-01T00:00:00Z')], flag: true },
    'x-none': null,
    'a-last': -1.25,
  };
}

/**
 * Keys in an order PostgreSQL's `jsonb` does not keep (it sorts them by length, then bytes), a `Date`
 * and a `Buffer` (as JSON.stringify writes them), text beyond ASCII and a float.
 */
export class ParcelShipped {
  static eventName = 'parcel.shipped';
  constructor(
    readonly shipmentId: string,
    readonly weightKg: number,
    readonly shippedAt: Date,
    readonly label: Buffer,
    readonly to: { zone: string; city: string; priority: number },
  ) {}
}

class Parcel extends AggregateRoot {
  ship(event: ParcelShipped): this {
    this.recordEvent(event);
    return this;
  }
}

export function parcelShipped(shipmentId: string): ParcelShipped {
  return new ParcelShipped(
    shipmentId,
    0.1 + 0.2,
    new Date('2024-02-29T23:59:59.123Z'),
    Buffer.from([0, 1, 254, 255]),
    {
      zone: 'Zürich ✓',
      city: 'Z',
      priority: 1e21,
    },
  );
}

/**
 * What one consumer sees of a message: the body, every property and the headers. The message id and the
 * timestamp are the only properties allowed to differ (two messages, encoded a moment apart).
 */
export function expectSameWire(viaOutbox: Delivery, direct: Delivery): void {
  expect(viaOutbox.content.toString('utf8')).toBe(direct.content.toString('utf8')); // a readable diff
  expect(viaOutbox.content.equals(direct.content)).toBe(true);
  const { messageId: outboxId, timestamp: outboxTime, ...outboxProperties } = viaOutbox.properties;
  const { messageId: directId, timestamp: directTime, ...directProperties } = direct.properties;
  expect(outboxId).not.toBe(directId);
  expect(outboxProperties).toStrictEqual(directProperties);
  // The header table is written in key order: the same order, the same bytes.
  expect(Object.keys(outboxProperties.headers)).toEqual(Object.keys(directProperties.headers));
  expect(Math.abs((outboxTime ?? NaN) - (directTime ?? NaN))).toBeLessThanOrEqual(1);
  // On RabbitMQ: the header table as received, every value with its AMQP type, and its size in bytes.
  const typed = (delivery: Delivery) => Object.entries(delivery.typedHeaders?.() ?? {});
  expect(typed(viaOutbox)).toStrictEqual(typed(direct));
  expect(viaOutbox.headerBytes).toBe(direct.headerBytes);
}

export function wireIdentityScenarios<Tx>(label: string, create: () => Promise<WireContext<Tx>>): void {
  describe(`one wire format through the outbox, on ${label}`, () => {
    const cleanups: (() => Promise<unknown>)[] = [];

    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    /** A topic exchange and a queue bound to its routing key, deleted after the test. */
    async function route(context: WireContext<Tx>) {
      const exchange = `wire${randomUUID().slice(0, 8)}`;
      const routingKey = `${exchange}.shipped`;
      const queue = `${exchange}.inbox`;
      const { transport } = context;
      cleanups.push(async () => {
        await transport.deleteQueue(queue);
        await transport.deleteExchange(exchange);
      });
      await transport.declare({
        exchanges: [{ name: exchange, type: 'topic' }],
        queues: [{ name: queue }],
        bindings: [{ queue, exchange, pattern: routingKey }],
      });
      /** The next message of the queue, acked. */
      const next = async (): Promise<Delivery> => {
        const deadline = Date.now() + 5000;
        for (;;) {
          const delivery = await transport.get(queue);
          if (delivery !== undefined) {
            delivery.ack();
            return delivery;
          }
          if (Date.now() > deadline) throw new Error(`no message in ${queue} after 5 s`);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      };
      return { exchange, routingKey, queue, next };
    }

    it('Bridge.forward: an event sent through the outbox arrives as the same event sent directly does', async () => {
      const context = await create();
      const { transport, unitOfWork, outbox } = context;
      const { routingKey, next } = await route(context);
      const appId = 'parcels';

      const directDispatcher = new EventDispatcher();
      const direct = new Bridge({ dispatcher: directDispatcher, transport, appId });
      direct.forward(ParcelShipped, { routingKey });
      const outboxDispatcher = new EventDispatcher();
      const flusher = new Flusher({ dispatcher: outboxDispatcher, unitOfWork });
      const viaOutbox = new Bridge({ dispatcher: outboxDispatcher, transport, appId });
      viaOutbox.forward(ParcelShipped, { routingKey }).useOutbox(flusher, outbox);
      const relay = new OutboxRelay({ outbox, transport });
      cleanups.push(
        () => direct.close(),
        () => viaOutbox.close(),
      );

      await directDispatcher.dispatch(parcelShipped('p-1'));
      const sent = await next();
      await flusher.flush(new Parcel().ship(parcelShipped('p-1')));
      expect(await relay.relayOnce()).toBe(1);
      const relayed = await next();

      expectSameWire(relayed, sent);
      expect(JSON.parse(relayed.content.toString('utf8'))).toMatchObject({ shipmentId: 'p-1' });
    });

    it('Publisher.send and encodeOutboxMessage: the same options give the same message, Dates, Buffers and typed headers included', async () => {
      const context = await create();
      const { transport, unitOfWork, outbox } = context;
      const { routingKey, next } = await route(context);
      const headers = { ...awkwardHeaders(), ...context.extraHeaders };
      const options = { headers, correlationId: 'c-7', eventName: 'parcel.shipped', expirationMs: 60_000 };
      const relay = new OutboxRelay({ outbox, transport });

      await new Publisher(transport, { appId: 'parcels' }).send(parcelShipped('p-2'), routingKey, options);
      const sent = await next();
      const row = encodeOutboxMessage(parcelShipped('p-2'), routingKey, { ...options, appId: 'parcels' });
      await unitOfWork.transaction((tx) => outbox.add([row], tx));
      expect(await relay.relayOnce()).toBe(1);
      const relayed = await next();

      expectSameWire(relayed, sent);
      expect(relayed.properties.messageId).toBe(row.id);
      expect(relayed.properties).toMatchObject({
        correlationId: 'c-7',
        type: 'parcel.shipped',
        expiration: '60000',
      });
      // What a handler reads: a Date, Buffers — not their JSON.
      expect(relayed.properties.headers['x-label']).toStrictEqual(Buffer.from([0, 1, 254, 255]));
      expect(relayed.properties.headers['x-sent-at']).toBeInstanceOf(Date);
    });
  });
}
