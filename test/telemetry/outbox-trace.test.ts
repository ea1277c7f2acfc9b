// One trace from a request to the handler through the outbox, on the memory transport, with an
// OpenTelemetry SDK registered globally and no tidings option: the row carries the request's context,
// the relay publishes it unchanged, the consumer's `process` span continues it, through a repeat, a dead
// letter and its replay.
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AggregateRoot,
  Bridge,
  DeadLetters,
  EventDispatcher,
  Flusher,
  InMemoryUnitOfWork,
  MemoryBroker,
  MemoryOutbox,
  MemoryTransport,
  NonRetryableError,
  OutboxRelay,
  Publisher,
  type ConsumedMessage,
  type SettledOutcome,
} from '../../src/index.js';
import { installOtel, parentOf, type InstalledOtel } from './otel-sdk.js';

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

class PaymentDeclined extends Error {
  override readonly name = 'PaymentDeclined';
}

const QUEUE = 'billing.orders';
const tracer = trace.getTracer('test');

let otel: InstalledOtel;
const closing: (() => Promise<unknown>)[] = [];

beforeEach(() => {
  otel = installOtel();
});

afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
  await otel.uninstall();
});

/**
 * The shop (forwarding `OrderPlaced` through a MemoryOutbox) and billing (consuming it with `handler`),
 * on one memory broker.
 */
async function services(handler: (message: ConsumedMessage) => Promise<void> | void) {
  const transport = new MemoryTransport({ broker: new MemoryBroker() });
  const shop = new EventDispatcher();
  const flusher = new Flusher({ dispatcher: shop, unitOfWork: new InMemoryUnitOfWork() });
  const outbox = new MemoryOutbox();
  const shopBridge = new Bridge({ dispatcher: shop, transport, appId: 'shop' });
  shopBridge.forward(OrderPlaced, { routingKey: 'order.placed' }).useOutbox(flusher, outbox);
  const relay = new OutboxRelay({ outbox, transport });
  const billing = new Bridge({ dispatcher: new EventDispatcher(), transport, appId: 'billing' });
  const settled: SettledOutcome[] = [];
  billing.on('settled', (outcome) => settled.push(outcome));
  billing.consume({
    queue: QUEUE,
    bindingKeys: ['order.placed'],
    handler,
    maxAttempts: 3,
    repeatDelaysMs: [0],
  });
  await billing.start();
  closing.push(
    () => shopBridge.close(),
    () => billing.close(),
  );
  /** Resolves once `count` deliveries have been settled. */
  const settledCount = async (count: number) => {
    const deadline = Date.now() + 5000;
    while (settled.length < count) {
      if (Date.now() > deadline)
        throw new Error(`${settled.length} of ${count} deliveries settled after 5 s`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return settled;
  };
  /** A request span in which the order is placed and flushed (its row written to the outbox). */
  const placeOrder = (orderId: string) =>
    tracer.startActiveSpan('POST /orders', async (span) => {
      try {
        await flusher.flush(new Order().place(orderId));
      } finally {
        span.end();
      }
      return span.spanContext();
    });
  return { transport, flusher, outbox, relay, placeOrder, settledCount };
}

function expectSameTrace(spans: readonly ReadableSpan[], traceId: string): void {
  for (const span of spans) expect(span.spanContext().traceId, span.name).toBe(traceId);
}

describe('OpenTelemetry traces through the outbox (memory transport)', () => {
  it('one trace: request → create (in the transaction) → send (relay) → process → handler and settle', async () => {
    const seen: { traceparent: unknown; tenant: string | undefined }[] = [];
    const { relay, placeOrder, settledCount } = await services((message) => {
      seen.push({
        traceparent: message.headers['traceparent'],
        tenant: propagation.getActiveBaggage()?.getEntry('tenant')?.value,
      });
      tracer.startSpan('charge card').end(); // the handler's own span: a child of `process`
    });
    const baggage = propagation.createBaggage({ tenant: { value: 't-42' } });
    const request = await context.with(propagation.setBaggage(context.active(), baggage), () =>
      placeOrder('o-1'),
    );
    // Nothing is published before the relay runs: the context travelled in the outbox row.
    expect(otel.spans('send order')).toHaveLength(0);
    expect(await relay.relayOnce()).toBe(1);
    const [outcome] = await settledCount(1);
    await otel.ended(`process ${QUEUE}`);

    const create = otel.span('create order');
    const send = otel.span('send order');
    const process = otel.span(`process ${QUEUE}`);
    const settle = otel.span(`ack ${QUEUE}`);
    const charge = otel.span('charge card');
    expectSameTrace([otel.span('POST /orders'), create, send, process, settle, charge], request.traceId);
    expect(parentOf(create)).toBe(request.spanId);
    expect(parentOf(send)).toBe(create.spanContext().spanId);
    expect(parentOf(process)).toBe(create.spanContext().spanId);
    expect(parentOf(settle)).toBe(process.spanContext().spanId);
    expect(parentOf(charge)).toBe(process.spanContext().spanId);
    // The conventions' link to the creation context, besides the parent.
    expect(send.links.map((link) => link.context.spanId)).toEqual([create.spanContext().spanId]);
    expect(process.links.map((link) => link.context.spanId)).toEqual([create.spanContext().spanId]);

    // The handler saw the create span's context and the request's baggage.
    expect(seen).toEqual([
      { traceparent: `00-${request.traceId}-${create.spanContext().spanId}-01`, tenant: 't-42' },
    ]);
    expect([create.kind, send.kind, process.kind]).toEqual([
      SpanKind.PRODUCER,
      SpanKind.PRODUCER,
      SpanKind.CONSUMER,
    ]);
    const messageId = outcome!.messageId;
    expect(create.attributes).toMatchObject({
      'messaging.system': 'rabbitmq',
      'messaging.operation.type': 'create',
      'messaging.destination.name': 'order',
      'messaging.rabbitmq.destination.routing_key': 'order.placed',
      'messaging.message.id': messageId,
    });
    expect(send.attributes).toMatchObject({
      'messaging.operation.type': 'send',
      'messaging.destination.name': 'order',
      'messaging.message.id': messageId,
    });
    expect(process.attributes).toMatchObject({
      'messaging.operation.type': 'process',
      'messaging.destination.name': 'order',
      'messaging.destination.subscription.name': QUEUE,
      'messaging.rabbitmq.destination.routing_key': 'order.placed',
      'messaging.message.id': messageId,
      'tidings.outcome': 'acked',
      'tidings.attempt': 1,
    });
    expect(settle.attributes).toMatchObject({
      'messaging.operation.type': 'settle',
      'messaging.operation.name': 'ack',
    });
    expect(process.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('a repeat keeps the trace: each attempt is a `process` span under the creation context', async () => {
    let calls = 0;
    const { relay, placeOrder, settledCount } = await services(() => {
      if (++calls === 1) throw new PaymentDeclined('card declined');
    });
    const request = await placeOrder('o-2');
    await relay.relayOnce();
    const outcomes = await settledCount(2);
    expect(outcomes.map((outcome) => outcome.outcome)).toEqual(['repeated', 'acked']);
    await otel.ended(`process ${QUEUE}`, 2);

    const create = otel.span('create order');
    // By attempt, not by when they ended: the first attempt's span ends once its repeat's copy is
    // confirmed, which may be after the copy was processed.
    const [first, second] = otel
      .spans(`process ${QUEUE}`)
      .sort((a, b) => Number(a.attributes['tidings.attempt']) - Number(b.attributes['tidings.attempt']));
    expectSameTrace([create, first!, second!], request.traceId);
    expect(parentOf(first!)).toBe(create.spanContext().spanId);
    expect(parentOf(second!)).toBe(create.spanContext().spanId);
    expect(first!.attributes).toMatchObject({
      'tidings.outcome': 'repeated',
      'tidings.attempt': 1,
      'tidings.repeat.delay_ms': 0,
      'error.type': 'PaymentDeclined',
    });
    expect(first!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'card declined' });
    expect(first!.events.map((event) => event.name)).toEqual(['exception', 'tidings.repeat']);
    expect(second!.attributes).toMatchObject({ 'tidings.outcome': 'acked', 'tidings.attempt': 2 });
    expect(second!.status.code).toBe(SpanStatusCode.UNSET);
    // The repeat's copy (no delay: straight to the queue) is sent in a span under the first attempt's.
    const copy = otel.span(`send ${QUEUE}`);
    expect(parentOf(copy)).toBe(first!.spanContext().spanId);
    expect(copy.attributes).toMatchObject({
      'messaging.destination.name': '',
      'messaging.operation.type': 'send',
    });
  });

  it('a dead letter says why on its span, and its replay continues the original trace', async () => {
    let fail = true;
    const { transport, relay, placeOrder, settledCount } = await services(() => {
      if (fail) throw new NonRetryableError('unknown customer');
    });
    const request = await placeOrder('o-3');
    await relay.relayOnce();
    await settledCount(1);
    fail = false;
    const summary = await new DeadLetters(transport, { appId: 'billing' }).replay();
    expect(summary.replayed).toBe(1);
    const outcomes = await settledCount(2);
    expect(outcomes.map((outcome) => outcome.outcome)).toEqual(['dead-lettered', 'acked']);
    await otel.ended(`process ${QUEUE}`, 2);

    const create = otel.span('create order');
    const [deadLettered, replayed] = otel.spans(`process ${QUEUE}`);
    expectSameTrace([create, deadLettered!, replayed!], request.traceId);
    expect(parentOf(replayed!)).toBe(create.spanContext().spanId);
    expect(deadLettered!.attributes).toMatchObject({
      'tidings.outcome': 'dead-lettered',
      'tidings.dead_letter.reason': 'non-retryable',
      'error.type': 'NonRetryableError',
    });
    expect(deadLettered!.status.code).toBe(SpanStatusCode.ERROR);
    const event = deadLettered!.events.find((e) => e.name === 'tidings.dead_letter');
    expect(event?.attributes).toMatchObject({ 'tidings.dead_letter.reason': 'non-retryable' });
    expect(replayed!.attributes).toMatchObject({ 'tidings.outcome': 'acked', 'tidings.replays': 1 });
    // The dead letter's copy is sent under its process span; the replay (no context of its own) under
    // the creation context, and the replayed delivery still hangs under that.
    const sends = otel.exporter.getFinishedSpans().filter((span) => span.name.startsWith('send '));
    expect(sends.map((span) => [span.name, parentOf(span)])).toEqual([
      ['send order', create.spanContext().spanId],
      ['send billing.dead-letter', deadLettered!.spanContext().spanId],
      [`send ${QUEUE}`, create.spanContext().spanId],
    ]);
  });

  it('a direct send (no outbox): the `send` span is the creation context, a child of the active span', async () => {
    const transport = new MemoryTransport({ broker: new MemoryBroker() });
    const received: unknown[] = [];
    const billing = new Bridge({ dispatcher: new EventDispatcher(), transport, appId: 'billing' });
    let settled!: () => void;
    const done = new Promise<void>((resolve) => (settled = resolve));
    billing.on('settled', () => settled());
    billing.consume({
      queue: QUEUE,
      bindingKeys: ['order.placed'],
      handler: (message) => void received.push(message.headers['traceparent']),
    });
    await billing.start();
    closing.push(() => billing.close());
    const publisher = new Publisher(transport, { appId: 'shop' });
    const request = await tracer.startActiveSpan('POST /orders', async (span) => {
      await publisher.send({ orderId: 'o-4' }, 'order.placed');
      span.end();
      return span.spanContext();
    });
    await done;
    await otel.ended(`process ${QUEUE}`);

    const send = otel.span('send order');
    const process = otel.span(`process ${QUEUE}`);
    expect(parentOf(send)).toBe(request.spanId);
    expect(parentOf(process)).toBe(send.spanContext().spanId);
    expectSameTrace([send, process], request.traceId);
    expect(received).toEqual([`00-${request.traceId}-${send.spanContext().spanId}-01`]);
    expect(otel.spans('create order')).toHaveLength(0);
  });

  it('the trace starts where the event was recorded, not where the flush runs', async () => {
    const { flusher, relay, settledCount } = await services(() => {});
    // A command handler records the event in its span; the flush runs later, in another span (a
    // scheduled job, a unit-of-work callback after the request span ended).
    const order = new Order();
    const command = tracer.startActiveSpan('PlaceOrder command', (span) => {
      order.place('o-9');
      span.end();
      return span.spanContext();
    });
    const job = await tracer.startActiveSpan('outbox flush job', async (span) => {
      await flusher.flush(order);
      span.end();
      return span.spanContext();
    });
    expect(job.traceId).not.toBe(command.traceId);
    await relay.relayOnce();
    await settledCount(1);
    await otel.ended(`process ${QUEUE}`);

    const create = otel.span('create order');
    const process = otel.span(`process ${QUEUE}`);
    expect(parentOf(create)).toBe(command.spanId);
    expectSameTrace([create, otel.span('send order'), process], command.traceId);
    expect(parentOf(process)).toBe(create.spanContext().spanId);
  });

  it("an event recorded outside any span starts from the flush's context, as before", async () => {
    const { flusher, relay, settledCount } = await services(() => {});
    const order = new Order().place('o-10'); // no span active
    const job = await tracer.startActiveSpan('flush', async (span) => {
      await flusher.flush(order);
      span.end();
      return span.spanContext();
    });
    await relay.relayOnce();
    await settledCount(1);
    await otel.ended(`process ${QUEUE}`);
    expect(parentOf(otel.span('create order'))).toBe(job.spanId);
  });

  it('a traceparent the caller set is kept, not replaced', async () => {
    const transport = new MemoryTransport({ broker: new MemoryBroker() });
    await transport.declare({
      exchanges: [{ name: 'order', type: 'topic' }],
      queues: [{ name: QUEUE }],
      bindings: [{ queue: QUEUE, exchange: 'order', pattern: 'order.placed' }],
    });
    const upstream = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await tracer.startActiveSpan('forwarding', async (span) => {
      await new Publisher(transport).send({}, 'order.placed', { headers: { traceparent: upstream } });
      span.end();
    });
    const delivery = await transport.get(QUEUE);
    delivery?.ack();
    expect(delivery?.properties.headers['traceparent']).toBe(upstream);
  });
});
