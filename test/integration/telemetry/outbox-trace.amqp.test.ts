// One trace through the real outbox and broker: a request flushes an order with PgUnitOfWork, the
// before-commit hook writes its row to PgOutbox (with the request's context in the stored headers), the
// relay publishes it to RabbitMQ, and the consumer's handler runs in that trace — through a repeat that
// goes round a wait queue (the broker dead-letters it back with its headers) as well.
import { randomUUID } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  AggregateRoot,
  Bridge,
  EventDispatcher,
  Flusher,
  OutboxRelay,
  type SettledOutcome,
} from '../../../src/index.js';
import { PgOutbox, PgUnitOfWork } from '../../../src/postgres.js';
import { AmqpTransport } from '../../../src/rabbitmq.js';
import { waitFor } from '../../bridge/bridge-scenarios.js';
import { deleteDeclared, mergeNames, subscriberNames } from '../../helpers/declared-names.js';
import { installOtel, parentOf, type InstalledOtel } from '../../telemetry/otel-sdk.js';
import { createPool, dropOutbox, uniqueName } from '../outbox/pg-helpers.js';
import { AMQP_URL } from '../servers.js';

class OrderPlaced {
  static readonly eventName = 'order.placed';
  constructor(readonly orderId: string) {}
}

class Order extends AggregateRoot {
  place(orderId: string): this {
    this.recordEvent(new OrderPlaced(orderId));
    return this;
  }
}

const pool = createPool();
const table = uniqueName();
const exchange = `otel${randomUUID().slice(0, 8)}`;
const routingKey = `${exchange}.placed`;
const naming = {
  queue: `${exchange}.billing`,
  bindingKeys: [routingKey],
  appId: `${exchange}-billing`,
  repeatDelaysMs: [100],
};
const transport = new AmqpTransport({ url: AMQP_URL });
const outbox = new PgOutbox({ pool, table });
let otel: InstalledOtel;

beforeAll(async () => {
  otel = installOtel();
  await outbox.ensureSchema();
});

afterAll(async () => {
  await deleteDeclared(transport, mergeNames(subscriberNames(naming), { exchanges: [exchange] }));
  await transport.close();
  await dropOutbox(pool, table);
  await pool.end();
  await otel.uninstall();
});

it('a request → PgOutbox row → relay → RabbitMQ → handler, and its repeat, are one trace', async () => {
  const shop = new EventDispatcher();
  const flusher = new Flusher({ dispatcher: shop, unitOfWork: new PgUnitOfWork({ pool }) });
  const shopBridge = new Bridge({ dispatcher: shop, transport, appId: 'shop' });
  shopBridge.forward(OrderPlaced, { routingKey }).useOutbox(flusher, outbox);
  const relay = new OutboxRelay({ outbox, transport });
  const billing = new Bridge({ dispatcher: new EventDispatcher(), transport, appId: naming.appId });
  const settled: SettledOutcome[] = [];
  billing.on('settled', (outcome) => settled.push(outcome));
  let calls = 0;
  const { appId: _appId, ...consumeNaming } = naming;
  billing.consume({
    ...consumeNaming,
    maxAttempts: 3,
    handler: () => {
      trace.getTracer('test').startSpan('charge card').end();
      if (++calls === 1) throw new Error('payment service unavailable');
    },
  });
  await billing.start();
  try {
    const request = await trace.getTracer('test').startActiveSpan('POST /orders', async (span) => {
      await flusher.flush(new Order().place('o-1'));
      span.end();
      return span.spanContext();
    });
    // The row as stored: the create span's context, in the headers the relay will publish unchanged.
    const create = otel.span(`create ${exchange}`);
    const { rows } = await pool.query<{ headers: string }>(
      `SELECT typed_headers::text AS headers FROM "${table}"`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.headers).toContain(`00-${request.traceId}-${create.spanContext().spanId}-01`);

    expect(await relay.relayOnce()).toBe(1);
    await waitFor(() => settled.length === 2, 10_000, 'the message and its repeat');
    await otel.ended(`process ${naming.queue}`, 2);
    expect(settled.map((outcome) => outcome.outcome)).toEqual(['repeated', 'acked']);

    const send = otel.span(`send ${exchange}`);
    const processed = otel.spans(`process ${naming.queue}`);
    const charges = otel.spans('charge card');
    const all: ReadableSpan[] = [otel.span('POST /orders'), create, send, ...processed, ...charges];
    for (const span of all) expect(span.spanContext().traceId, span.name).toBe(request.traceId);
    expect(parentOf(create)).toBe(request.spanId);
    expect(parentOf(send)).toBe(create.spanContext().spanId);
    for (const span of processed) expect(parentOf(span)).toBe(create.spanContext().spanId);
    expect(charges.map(parentOf).sort()).toEqual(processed.map((span) => span.spanContext().spanId).sort());
    expect(processed.map((span) => span.attributes['tidings.outcome'])).toEqual(['repeated', 'acked']);
    expect(processed[0]!.attributes).toMatchObject({
      'messaging.system': 'rabbitmq',
      'messaging.destination.name': exchange,
      'messaging.rabbitmq.destination.routing_key': routingKey,
      'tidings.repeat.delay_ms': 100,
      'error.type': 'Error',
    });
  } finally {
    await billing.close();
    await shopBridge.close();
  }
});
