// Bridge behaviour that must hold on every transport: run against MemoryTransport in the unit project
// and against RabbitMQ (with the Redis counter) in the integration project. Each test asserts where
// every message ended up: acked once, repeated N times, or dead-lettered with the right reason.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Bridge,
  DeadLetters,
  EventDispatcher,
  HEADERS,
  NonRetryableError,
  Publisher,
  Consumer,
  UnroutableError,
  type ConsumedMessage,
  type RepeatCounter,
  type SettledOutcome,
  type StandardSchemaV1,
  type ConsumerOptions,
  type Transport,
} from '../../src/index.js';
import {
  deleteDeclared,
  mergeNames,
  subscriberNames,
  type DeclaredNames,
  type SubscriberNaming,
} from '../helpers/declared-names.js';
import { waitFor } from '../helpers/wait-for.js';

export interface ScenarioContext {
  transport: Transport;
  counter: RepeatCounter;
}

class OrderPlaced {
  static eventName = 'order.placed';
  constructor(
    readonly orderId: string,
    readonly total: number,
  ) {}
}

/** A minimal Standard Schema validator, as zod or valibot would provide. */
const orderSchema: StandardSchemaV1<unknown, { orderId: string; total: number }> = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate(value) {
      const candidate = value as { orderId?: unknown; total?: unknown };
      if (typeof candidate?.orderId !== 'string')
        return { issues: [{ message: 'must be a string', path: ['orderId'] }] };
      if (typeof candidate.total !== 'number')
        return { issues: [{ message: 'must be a number', path: ['total'] }] };
      return { value: { orderId: candidate.orderId, total: candidate.total } };
    },
  },
};

export { waitFor };

export function bridgeScenarios(label: string, create: () => Promise<ScenarioContext>): void {
  describe(`bridge scenarios on ${label}`, () => {
    let context: ScenarioContext;
    const cleanups: (() => Promise<unknown>)[] = [];
    const declared: Partial<DeclaredNames>[] = [];

    /** Unique names per test; everything declared under them is deleted afterwards. */
    async function names() {
      context ??= await create();
      const id = `t${randomUUID().slice(0, 8)}`;
      const appId = `${id}-app`;
      const queue = `${id}.queue`;
      const exchange = id;
      // The exchange publishers declare, and what each subscriber of the test declares (declares()).
      declared.push({ exchanges: [exchange] });
      cleanups.push(async () => {
        await deleteDeclared(context.transport, mergeNames(...declared.splice(0)));
      });
      return { id, appId, queue, exchange, routingKey: `${exchange}.placed` };
    }

    /** Records what a subscriber (or a bridge's consume()) declares, for the test's cleanup. */
    function declares(naming: SubscriberNaming): void {
      declared.push(subscriberNames(naming));
    }

    function subscriber(
      appId: string,
      queue: string,
      bindingKeys: string[],
      extra: Partial<ConsumerOptions> = {},
    ) {
      const options = {
        appId,
        queue,
        bindingKeys,
        repeatDelaysMs: [40],
        maxAttempts: 3,
        repeatCounter: context.counter,
        ...extra,
      };
      declares(options);
      const created = new Consumer(context.transport, options);
      const settled: SettledOutcome[] = [];
      created.on('settled', (outcome) => settled.push(outcome));
      cleanups.unshift(() => created.close());
      return { subscriber: created, settled };
    }

    /** The dead letters of the app, once there are `count` of them (or what is there after 5 s). */
    async function deadLettersOf(appId: string, count: number) {
      const deadLetters = new DeadLetters(context.transport, { appId });
      const deadline = Date.now() + 5000;
      for (;;) {
        const found = await deadLetters.list();
        if (found.length >= count || Date.now() > deadline) return found;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }

    afterEach(async () => {
      for (const cleanup of cleanups.splice(0)) await cleanup();
    });

    it('round trip keeps the payload and every property of the wire format', async () => {
      const { appId, queue, routingKey } = await names();
      const { subscriber: consumer } = subscriber(appId, queue, [routingKey]);
      const received: ConsumedMessage[] = [];
      await consumer.consume((message) => void received.push(message));
      const publisher = new Publisher(context.transport, { appId: 'shop' });
      const before = Math.floor(Date.now() / 1000);
      const { messageId } = await publisher.send({ orderId: 'o-1', nested: { total: 42 } }, routingKey, {
        correlationId: 'corr-1',
        headers: { 'x-trace': 'abc', count: 3, flag: true },
      });
      const message = await waitFor(() => received[0], 5000, 'the message');
      expect(message.payload).toEqual({ orderId: 'o-1', nested: { total: 42 } });
      expect(message.messageId).toBe(messageId);
      expect(messageId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(message.routingKey).toBe(routingKey);
      expect(message.attempt).toBe(1);
      expect(message.properties).toMatchObject({
        contentType: 'application/json',
        deliveryMode: 2,
        appId: 'shop',
        type: routingKey,
        correlationId: 'corr-1',
      });
      expect(message.properties.timestamp).toBeGreaterThanOrEqual(before);
      expect(message.headers).toMatchObject({
        'x-trace': 'abc',
        count: 3,
        flag: true,
        [HEADERS.origin]: 'shop',
      });
    });

    it('an unroutable publish rejects with UnroutableError', async () => {
      const { exchange } = await names();
      const publisher = new Publisher(context.transport);
      const error = await publisher.send({ x: 1 }, `${exchange}.nobody-listens`).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnroutableError);
      expect(error).toMatchObject({
        code: 'ERR_TIDINGS_UNROUTABLE',
        exchange,
        routingKey: `${exchange}.nobody-listens`,
      });
    });

    it('fail, fail, succeed: exactly 3 deliveries, one success, the counter forgets the message', async () => {
      const { appId, queue, routingKey } = await names();
      const { subscriber: consumer, settled } = subscriber(appId, queue, [routingKey]);
      const attempts: number[] = [];
      await consumer.consume(({ attempt }) => {
        attempts.push(attempt);
        if (attempt < 3) throw new Error(`flaky ${attempt}`);
      });
      const { messageId } = await new Publisher(context.transport).send({ n: 1 }, routingKey);
      await waitFor(() => settled.find((s) => s.outcome === 'acked'), 5000, 'the ack');
      expect(attempts).toEqual([1, 2, 3]);
      expect(settled.map((s) => s.outcome)).toEqual(['repeated', 'repeated', 'acked']);
      expect(await context.counter.increment(queue, messageId)).toBe(1); // the key was gone
      await context.counter.forget(queue, messageId);
      expect((await context.transport.queueStats(queue))?.messageCount).toBe(0);
    });

    it('always failing: exactly maxAttempts deliveries, then dead-lettered as repeats-exhausted', async () => {
      const { appId, queue, exchange, routingKey } = await names();
      const { subscriber: consumer, settled } = subscriber(appId, queue, [routingKey]);
      let deliveries = 0;
      await consumer.consume(() => {
        deliveries++;
        throw new TypeError('always broken');
      });
      const { messageId } = await new Publisher(context.transport).send({ n: 1 }, routingKey);
      await waitFor(() => settled.find((s) => s.outcome === 'dead-lettered'), 5000, 'the dead letter');
      expect(deliveries).toBe(3);
      const [deadLetter] = await deadLettersOf(appId, 1);
      expect(deadLetter).toMatchObject({
        messageId,
        reason: 'repeats-exhausted',
        queue,
        exchange,
        routingKey,
        attempts: 3,
        error: { name: 'TypeError', message: 'always broken' },
        consumerApp: appId,
      });
      expect(deadLetter!.firstFailureAt! <= deadLetter!.lastFailureAt!).toBe(true);
      expect(deadLetter!.properties.headers?.[HEADERS.errorStack]).toMatch(/TypeError: always broken/);
    });

    it('a NonRetryableError is dead-lettered at once as non-retryable', async () => {
      const { appId, queue, routingKey } = await names();
      const { subscriber: consumer, settled } = subscriber(appId, queue, [routingKey]);
      await consumer.consume(() => {
        throw new NonRetryableError('customer does not exist');
      });
      await new Publisher(context.transport).send({ n: 1 }, routingKey);
      const outcome = await waitFor(() => settled[0], 5000, 'the outcome');
      expect(outcome).toMatchObject({ outcome: 'dead-lettered', reason: 'non-retryable', attempt: 1 });
      expect((await deadLettersOf(appId, 1))[0]).toMatchObject({ reason: 'non-retryable', attempts: 1 });
    });

    it('a repeat goes to the failing queue only, never to other queues bound to the same key', async () => {
      const { id, appId, queue, routingKey } = await names();
      const failing = subscriber(appId, queue, [routingKey]);
      const other = subscriber(appId, `${id}.other`, [routingKey]);
      let otherDeliveries = 0;
      await failing.subscriber.consume(({ attempt }) => {
        if (attempt === 1) throw new Error('once');
      });
      await other.subscriber.consume(() => void otherDeliveries++);
      await new Publisher(context.transport).send({ n: 1 }, routingKey);
      await waitFor(() => failing.settled.find((s) => s.outcome === 'acked'), 5000, 'the repeat');
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(otherDeliveries).toBe(1);
      expect(other.settled.map((s) => s.outcome)).toEqual(['acked']);
    });

    it('per-message TTL and queue TTL: expired messages are dead-lettered as expired', async () => {
      const { id, appId, queue, routingKey } = await names();
      // Declared through a subscriber (for the dead-letter wiring) that is closed before anything arrives.
      const ttlQueue = subscriber(appId, queue, [routingKey], { messageTtlMs: 100 });
      await ttlQueue.subscriber.consume(() => {});
      await ttlQueue.subscriber.close();
      const other = subscriber(appId, `${id}.other`, [`${id}.expiring`]);
      await other.subscriber.consume(() => {});
      await other.subscriber.close();
      const publisher = new Publisher(context.transport);
      const queueTtl = await publisher.send({ kind: 'queue ttl' }, routingKey);
      const messageTtl = await publisher.send({ kind: 'message ttl' }, `${id}.expiring`, {
        expirationMs: 50,
      });
      const found = await deadLettersOf(appId, 2);
      expect(found.map((d) => [d.messageId, d.reason, d.queue]).sort()).toEqual(
        [
          [queueTtl.messageId, 'expired', queue],
          [messageTtl.messageId, 'expired', `${id}.other`],
        ].sort(),
      );
    });

    it('bad content is dead-lettered as invalid-content and the consumer keeps running', async () => {
      const { appId, queue, exchange, routingKey } = await names();
      const dispatcher = new EventDispatcher();
      const bridge = new Bridge({
        dispatcher,
        transport: context.transport,
        appId,
        repeatCounter: context.counter,
      });
      const outcomes: SettledOutcome[] = [];
      bridge.on('settled', (outcome) => outcomes.push(outcome));
      bridge.consume({
        queue,
        bindingKeys: [`${exchange}.#`],
        events: { 'order.placed': OrderPlaced },
        schema: orderSchema,
        repeatDelaysMs: [40],
      });
      declares({ appId, queue, bindingKeys: [`${exchange}.#`], repeatDelaysMs: [40] });
      cleanups.unshift(() => bridge.close());
      const received: OrderPlaced[] = [];
      dispatcher.on(OrderPlaced, (event) => void received.push(event));
      await bridge.start();

      const raw = (content: string, routing: string, properties: Record<string, unknown> = {}) =>
        context.transport.publish({
          exchange,
          routingKey: routing,
          content: Buffer.from(content),
          properties: { messageId: randomUUID(), type: 'order.placed', ...properties },
        });
      await raw('{not json', routingKey);
      await raw(JSON.stringify({ orderId: 42 }), routingKey); // schema-invalid
      await raw(JSON.stringify({ orderId: 'x', total: 1 }), `${exchange}.unknown`, { type: 'order.unknown' });
      await raw('{"orderId":"p","total":1,"__proto__":{"polluted":true}}', routingKey);
      await raw('', routingKey);
      await raw('<xml/>', routingKey, { contentType: 'application/xml' });
      await raw(JSON.stringify({ orderId: 'good', total: 5 }), routingKey);

      await waitFor(() => outcomes.length >= 7 && outcomes, 5000, 'seven outcomes');
      expect(outcomes.filter((o) => o.outcome === 'acked')).toHaveLength(1);
      const invalid = outcomes.filter((o) => o.outcome === 'dead-lettered');
      expect(invalid.map((o) => (o.outcome === 'dead-lettered' ? o.reason : ''))).toEqual(
        Array(6).fill('invalid-content'),
      );
      expect(received).toHaveLength(1);
      expect(received[0]).toBeInstanceOf(OrderPlaced);
      expect(received[0]).toMatchObject({ orderId: 'good', total: 5 });
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
      const deadLetters = await deadLettersOf(appId, 6);
      expect(deadLetters.map((d) => d.error?.name)).toEqual(Array(6).fill('InvalidContentError'));
      const messages = deadLetters.map((d) => d.error?.message ?? '');
      for (const expected of [
        /not valid JSON/,
        /orderId: must be a string/,
        /No event class for event "order.unknown"/,
        /"__proto__" key/,
        /body is empty/,
        /Unsupported content type "application\/xml"/,
      ]) {
        expect(
          messages.filter((message) => expected.test(message)),
          String(expected),
        ).toHaveLength(1);
      }
    });

    it('a message published the way the seed PHP library did is consumed', async () => {
      const { appId, queue, exchange, routingKey } = await names();
      const { subscriber: consumer } = subscriber(appId, queue, [routingKey]);
      const received: ConsumedMessage[] = [];
      await consumer.consume((message) => void received.push(message));
      // No content type; message_id equal to the body's event_id; a correlation id and application
      // headers such as span_id — as the PHP publisher set them.
      await context.transport.publish({
        exchange,
        routingKey,
        content: Buffer.from(JSON.stringify({ event_id: 11995, name: 'docx', age: 25 })),
        properties: {
          messageId: '11995',
          correlationId: 'c-7',
          appId: 'php-app',
          headers: { span_id: 'span-1' },
        },
      });
      const message = await waitFor(() => received[0], 5000, 'the PHP message');
      expect(message.payload).toEqual({ event_id: 11995, name: 'docx', age: 25 });
      expect(message.messageId).toBe('11995');
      expect(message.properties.correlationId).toBe('c-7');
      expect(message.headers['span_id']).toBe('span-1');
    });

    it('replay sends a dead letter back to its queue with attempts reset, and it is then processed', async () => {
      const { appId, queue, routingKey } = await names();
      const { subscriber: consumer, settled } = subscriber(appId, queue, [routingKey]);
      let broken = true;
      const seen: { attempt: number; routingKey: string }[] = [];
      await consumer.consume(({ attempt, routingKey: key }) => {
        seen.push({ attempt, routingKey: key });
        if (broken) throw new NonRetryableError('not yet');
      });
      const { messageId } = await new Publisher(context.transport).send({ n: 1 }, routingKey);
      await waitFor(() => settled.find((s) => s.outcome === 'dead-lettered'), 5000, 'the dead letter');
      broken = false;
      const deadLetters = new DeadLetters(context.transport, { appId });
      const dry = await deadLetters.replay({ dryRun: true });
      expect(dry).toMatchObject({ scanned: 1, replayed: 0, dryRun: true });
      const progress: string[] = [];
      const summary = await deadLetters.replay({
        reason: 'non-retryable',
        onProgress: (p) => progress.push(`${p.done}/${p.total} ${p.outcome}`),
      });
      expect(summary).toMatchObject({ scanned: 1, replayed: 1, skipped: 0, failed: [] });
      expect(progress).toEqual(['1/1 replayed']);
      await waitFor(
        () => settled.find((s) => s.outcome === 'acked' && s.messageId === messageId),
        5000,
        'the replayed ack',
      );
      expect(seen).toEqual([
        { attempt: 1, routingKey },
        { attempt: 1, routingKey },
      ]);
      expect(await deadLetters.list()).toEqual([]);
    });

    it('a replay starts a fresh repeat count, even when the counter could not forget the old one', async () => {
      const { appId, queue, routingKey } = await names();
      // The counter was unreachable when the message was dead-lettered: its count of 3 stays behind.
      let forgetting = false;
      const counter: RepeatCounter = {
        increment: (q, id) => context.counter.increment(q, id),
        forget: (q, id) =>
          forgetting ? context.counter.forget(q, id) : Promise.reject(new Error('Redis is unreachable')),
        close: () => Promise.resolve(),
      };
      const { subscriber: consumer, settled } = subscriber(appId, queue, [routingKey], {
        repeatCounter: counter,
      });
      let broken = true;
      const attempts: number[] = [];
      await consumer.consume(({ attempt }) => {
        attempts.push(attempt);
        if (broken) throw new Error('still broken');
      });
      const { messageId } = await new Publisher(context.transport).send({ n: 1 }, routingKey);
      await waitFor(() => settled.find((s) => s.outcome === 'dead-lettered'), 5000, 'the dead letter');
      expect(attempts).toEqual([1, 2, 3]);

      broken = false;
      forgetting = true;
      await new DeadLetters(context.transport, { appId }).replay();
      await waitFor(
        () => settled.find((s) => s.outcome === 'acked' && s.messageId === messageId),
        5000,
        'the replayed ack',
      );
      // Handled at once, as attempt 1: not dead-lettered again on the stale count.
      expect(attempts).toEqual([1, 2, 3, 1]);
      expect(settled.filter((s) => s.outcome === 'dead-lettered')).toHaveLength(1);
    });

    it('list and purge filter by reason and leave the rest in order', async () => {
      const { appId, queue, routingKey } = await names();
      const { subscriber: consumer, settled } = subscriber(appId, queue, [routingKey]);
      await consumer.consume(({ payload }) => {
        throw (payload as { kind: string }).kind === 'fatal'
          ? new NonRetryableError('fatal')
          : new Error('flaky');
      });
      const publisher = new Publisher(context.transport);
      for (const kind of ['fatal', 'flaky', 'fatal']) await publisher.send({ kind }, routingKey);
      await waitFor(
        () => settled.filter((s) => s.outcome === 'dead-lettered').length === 3,
        5000,
        'three dead letters',
      );
      const deadLetters = new DeadLetters(context.transport, { appId });
      expect((await deadLetters.list({ reason: 'non-retryable' })).length).toBe(2);
      expect((await deadLetters.list({ limit: 1 })).length).toBe(1);
      expect(await deadLetters.purge({ reason: 'non-retryable', dryRun: true })).toEqual({
        purged: 2,
        dryRun: true,
      });
      expect(await deadLetters.purge({ reason: 'non-retryable' })).toEqual({ purged: 2, dryRun: false });
      expect((await deadLetters.list()).map((d) => d.reason)).toEqual(['repeats-exhausted']);
      expect(await deadLetters.purge()).toEqual({ purged: 1, dryRun: false });
    });

    it('forwarded events are consumed in another service; consumed events are never forwarded again', async () => {
      const { id, appId, queue, routingKey } = await names();
      const shop = new EventDispatcher();
      const shopBridge = new Bridge({ dispatcher: shop, transport: context.transport, appId: `${id}-shop` });
      shopBridge.forward(OrderPlaced, { routingKey });
      const billing = new EventDispatcher();
      const billingBridge = new Bridge({
        dispatcher: billing,
        transport: context.transport,
        appId,
        repeatCounter: context.counter,
      });
      // Billing also forwards OrderPlaced: the consumed copy must not bounce back to the broker.
      billingBridge.forward(OrderPlaced, { routingKey });
      billingBridge.consume({ queue, bindingKeys: [routingKey], events: { 'order.placed': OrderPlaced } });
      declares({ appId, queue, bindingKeys: [routingKey] }); // the default repeat delays
      cleanups.unshift(
        () => shopBridge.close(),
        () => billingBridge.close(),
      );
      const received: OrderPlaced[] = [];
      billing.on(OrderPlaced, (event) => void received.push(event));
      await billingBridge.start();

      await shop.dispatch(new OrderPlaced('o-9', 99));
      await waitFor(() => received.length === 1, 5000, 'the forwarded event');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(received).toHaveLength(1);
      expect(received[0]).toBeInstanceOf(OrderPlaced);
      expect(received[0]).toMatchObject({ orderId: 'o-9', total: 99 });
      expect((await context.transport.queueStats(queue))?.messageCount).toBe(0);
    });

    it('a failed forward is an error of the dispatch, not a lost event', async () => {
      const { id } = await names();
      const shop = new EventDispatcher();
      const bridge = new Bridge({ dispatcher: shop, transport: context.transport, appId: `${id}-shop` });
      bridge.forward(OrderPlaced, { routingKey: `${id}.nobody-bound` });
      cleanups.unshift(() => bridge.close());
      await expect(shop.dispatch(new OrderPlaced('o', 1))).rejects.toBeInstanceOf(UnroutableError);
    });
  });
}
