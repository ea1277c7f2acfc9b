// The bad-input corpus: every kind of malformed message a consumer may meet, published raw (as a foreign
// or broken publisher would, bypassing the Publisher) between good messages. Run against MemoryTransport
// in the unit project and against RabbitMQ (with the Redis counter) in the integration project.
//
// For each bad message: dead-lettered exactly once, straight away (never repeated), with reason
// `invalid-content` and an error naming the problem; no listener ever sees it; and the consumer keeps
// going — every good message, including one published after all the bad ones, is handled exactly once.
import { createHash, randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Bridge,
  DeadLetters,
  EventDispatcher,
  HEADERS,
  HeadersTooLargeError,
  InvalidArgumentError,
  Consumer,
  type DeadLetter,
  type MessageProperties,
  type OutgoingMessage,
  type RepeatCounter,
  type SettledOutcome,
  type StandardSchemaV1,
  type Transport,
} from '../../src/index.js';
import { DEFAULT_REPEAT_DELAYS_MS, deleteDeclared, subscriberNames } from '../helpers/declared-names.js';
import { waitFor } from './bridge-scenarios.js';

export interface CorpusContext {
  transport: Transport;
  counter: RepeatCounter;
  /**
   * Publishes exactly what it is given, as another client would: no message id is added, no property
   * is checked. On RabbitMQ this is a bare amqplib channel, not the transport.
   */
  publishRaw(message: OutgoingMessage): Promise<void>;
}

class OrderPlaced {
  static eventName = 'order.placed';
  constructor(
    readonly orderId: string,
    readonly total: number,
  ) {}
}

class OrderChecked {
  static eventName = 'order.checked';
  constructor(readonly orderId: string) {}
}

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

/** One malformed message and what its dead letter must say about it. */
interface BadInput {
  name: string;
  /** Changes to a good message (content, properties, routing key suffix). */
  content?: Buffer | string;
  properties?: MessageProperties;
  /** Routing key after the test's exchange. @defaultValue 'placed' */
  key?: string;
  /** Leave the message id out. */
  noMessageId?: boolean;
  error: RegExp;
}

const TEN_MB = 10 * 1024 * 1024;

/** The corpus. The README's "Bad input" table lists the same entries. */
export const BAD_INPUTS: readonly BadInput[] = [
  { name: 'invalid JSON', content: '{"orderId": "o-1", "total": }', error: /^The body is not valid JSON: / },
  { name: 'empty body', content: '', error: /^The body is empty$/ },
  {
    name: 'binary body',
    content: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0xfe, 0x00, 0x01]),
    error: /^The body is not valid UTF-8$/,
  },
  {
    name: 'binary content type',
    content: Buffer.from([0x00, 0x01, 0x02, 0xff]),
    properties: { contentType: 'application/octet-stream' },
    error: /^Unsupported content type "application\/octet-stream" \(expected application\/json\)$/,
  },
  {
    name: '10 MB body',
    content: JSON.stringify({ orderId: 'big', total: 1, padding: 'x'.repeat(TEN_MB) }),
    error: /^The body has 1048\d{4} bytes; the limit is 4194304$/,
  },
  {
    name: 'missing message id',
    noMessageId: true,
    error: /^The message has no id: neither a messageId property nor an event_id in the body$/,
  },
  {
    name: 'unknown routing key and event name',
    key: 'refunded',
    properties: { type: 'order.refunded' },
    error: /^No event class for event "order.refunded" \/ routing key "[\w-]+\.refunded" on /,
  },
  {
    name: 'schema-invalid payload',
    key: 'checked',
    properties: { type: 'order.checked' },
    content: JSON.stringify({ orderId: 42, total: 1 }),
    error: /^The payload of "order.checked" is invalid: orderId: must be a string$/,
  },
  {
    name: 'JSON that is not an object',
    content: '[1, 2, 3]',
    error: /^The payload of OrderPlaced must be a JSON object$/,
  },
  {
    name: '__proto__ key',
    content: '{"orderId":"p","total":1,"__proto__":{"polluted":true}}',
    error: /^The payload has a "__proto__" key$/,
  },
  {
    name: 'nested __proto__ key',
    content: '{"orderId":"p","total":1,"lines":[{"__proto__":{"polluted":true}}]}',
    error: /^The payload has a "__proto__" key$/,
  },
  {
    name: 'constructor.prototype gadget',
    content: '{"orderId":"p","total":1,"constructor":{"prototype":{"polluted":true}}}',
    error: /^The payload has a "constructor" key holding a "prototype" key$/,
  },
  {
    name: 'deeply nested JSON',
    content: '['.repeat(50_000) + ']'.repeat(50_000),
    error: /^The body is nested too deeply to parse$/,
  },
  {
    name: 'wrong content type text/plain',
    properties: { contentType: 'text/plain' },
    error: /^Unsupported content type "text\/plain" \(expected application\/json\)$/,
  },
  {
    name: 'wrong content type application/xml',
    content: '<order id="o-1"/>',
    properties: { contentType: 'application/xml' },
    error: /^Unsupported content type "application\/xml"/,
  },
  {
    name: 'compressed body',
    content: gzipSync(JSON.stringify({ orderId: 'z', total: 1 })),
    properties: { contentEncoding: 'gzip' },
    error: /^Unsupported content encoding "gzip"/,
  },
  {
    name: 'oversized headers',
    properties: { headers: { 'x-trace': 'ok', 'x-blob': 'h'.repeat(40_000) } },
    error: /^The headers encode to 400\d\d bytes; the limit is 32768 \(maxHeaderBytes\)$/,
  },
];

/** Polls an asynchronous probe until it yields something (the broker answers asynchronously). */
async function eventually<T>(
  probe: () => Promise<T | undefined | false>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The id the consumer gives a message that has none: a hash of its body (identify() in envelope.ts). */
function bodyHashId(content: Buffer): string {
  return `sha256:${createHash('sha256').update(content).digest('hex').slice(0, 32)}`;
}

export function badInputCorpus(
  label: string,
  create: () => Promise<CorpusContext>,
  timeoutMs = 10_000,
): void {
  describe(`bad input on ${label}`, () => {
    let context: CorpusContext;
    const cleanups: (() => Promise<unknown>)[] = [];

    async function names() {
      context ??= await create();
      const id = `bad${randomUUID().slice(0, 8)}`;
      const appId = `${id}-app`;
      const queue = `${id}.queue`;
      // Every test consumes `queue` with repeat delays of 40 ms or the default ones: all their wait queues.
      const declared = subscriberNames({
        appId,
        queue,
        bindingKeys: [`${id}.placed`],
        repeatDelaysMs: [40, ...DEFAULT_REPEAT_DELAYS_MS],
      });
      cleanups.push(() => deleteDeclared(context.transport, declared));
      return { appId, queue, exchange: id };
    }

    async function deadLettersOf(appId: string, count: number): Promise<DeadLetter[]> {
      const deadLetters = new DeadLetters(context.transport, { appId });
      return eventually(
        async () => {
          const found = await deadLetters.list();
          return found.length >= count && found;
        },
        timeoutMs,
        `${count} dead letters`,
      );
    }

    afterEach(async () => {
      for (const cleanup of cleanups.splice(0)) await cleanup();
    });

    it('each bad message is dead-lettered once with its reason, and the consumer keeps going', async () => {
      const { appId, queue, exchange } = await names();
      const dispatcher = new EventDispatcher();
      const bridge = new Bridge({
        dispatcher,
        transport: context.transport,
        appId,
        repeatCounter: context.counter,
      });
      const outcomes: SettledOutcome[] = [];
      bridge.on('settled', (outcome) => outcomes.push(outcome));
      const errors: Error[] = [];
      bridge.on('error', (error) => errors.push(error));
      bridge.consume({
        queue,
        bindingKeys: [`${exchange}.#`],
        events: { 'order.placed': OrderPlaced, 'order.checked': OrderChecked },
        schema: { 'order.checked': orderSchema },
        repeatDelaysMs: [40],
        maxAttempts: 3,
        prefetch: 4,
      });
      cleanups.unshift(() => bridge.close());
      const received: object[] = [];
      dispatcher.on(OrderPlaced, (event) => void received.push(event));
      dispatcher.on(OrderChecked, (event) => void received.push(event));
      await bridge.start();

      const good = (n: number): OutgoingMessage => ({
        exchange,
        routingKey: `${exchange}.placed`,
        content: Buffer.from(JSON.stringify({ orderId: `good-${n}`, total: n })),
        properties: {
          messageId: `good-${n}-${randomUUID()}`,
          type: 'order.placed',
          contentType: 'application/json',
        },
      });
      const badIds = new Map<string, BadInput>();
      const goodIds: string[] = [];
      const publishGood = async (n: number) => {
        const message = good(n);
        goodIds.push(message.properties.messageId!);
        await context.publishRaw(message);
      };

      await publishGood(0);
      for (const [index, input] of BAD_INPUTS.entries()) {
        const base = good(-1);
        const content =
          input.content === undefined
            ? base.content
            : Buffer.isBuffer(input.content)
              ? input.content
              : Buffer.from(input.content);
        const messageId = input.noMessageId ? undefined : `bad-${index}-${randomUUID()}`;
        const properties: MessageProperties = { ...base.properties, ...input.properties, messageId };
        if (messageId === undefined) delete properties.messageId;
        await context.publishRaw({
          ...base,
          routingKey: `${exchange}.${input.key ?? 'placed'}`,
          content,
          properties,
        });
        badIds.set(messageId ?? bodyHashId(content), input);
        await publishGood(index + 1);
      }
      // After every bad message: the consumer must still be there for this one.
      await publishGood(BAD_INPUTS.length + 1);

      const total = BAD_INPUTS.length + goodIds.length;
      await waitFor(() => outcomes.length >= total, timeoutMs, `${total} outcomes`);

      // Good messages: each acked once, on its first delivery, and dispatched once.
      for (const messageId of goodIds) {
        expect(outcomes.filter((o) => o.messageId === messageId)).toEqual([
          { outcome: 'acked', queue, messageId, attempt: 1 },
        ]);
      }
      expect(received.map((event) => (event as OrderPlaced).orderId).sort()).toEqual(
        goodIds.map((_, n) => `good-${n}`).sort(),
      );
      for (const event of received) expect(event).toBeInstanceOf(OrderPlaced);

      // Bad messages: one outcome each, dead-lettered on the first delivery; nothing was ever repeated.
      expect(outcomes.filter((o) => o.outcome === 'repeated')).toEqual([]);
      for (const [messageId, input] of badIds) {
        const settled = outcomes.filter((o) => o.messageId === messageId);
        expect(settled, input.name).toHaveLength(1);
        expect(settled[0], input.name).toMatchObject({
          outcome: 'dead-lettered',
          reason: 'invalid-content',
          attempt: 1,
          queue,
        });
      }
      expect(outcomes).toHaveLength(total);

      // In the common dead-letter queue: exactly the bad ones, once each, saying what is wrong.
      const deadLetters = await deadLettersOf(appId, badIds.size);
      expect(deadLetters.map((d) => d.messageId).sort()).toEqual([...badIds.keys()].sort());
      for (const deadLetter of deadLetters) {
        const input = badIds.get(deadLetter.messageId)!;
        expect(deadLetter, input.name).toMatchObject({
          reason: 'invalid-content',
          queue,
          exchange,
          attempts: 1,
          consumerApp: appId,
          error: { name: 'InvalidContentError' },
        });
        expect(deadLetter.error?.message, input.name).toMatch(input.error);
        expect(deadLetter.properties.headers?.[HEADERS.deadReason]).toBe('invalid-content');
      }
      // The body is kept as it was, even the 10 MB one; oversized headers are dropped and their size noted.
      const big = deadLetters.find((d) => badIds.get(d.messageId)?.name === '10 MB body')!;
      expect(big.content.length).toBeGreaterThan(TEN_MB);
      const heavy = deadLetters.find((d) => badIds.get(d.messageId)?.name === 'oversized headers')!;
      expect(heavy.properties.headers?.['x-blob']).toBeUndefined();
      expect(heavy.properties.headers?.[HEADERS.droppedHeadersBytes]).toBeGreaterThan(40_000);

      // Nothing left behind, nothing polluted, nothing went wrong on the way.
      expect((await context.transport.queueStats(queue))?.messageCount).toBe(0);
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
      expect(Object.prototype).not.toHaveProperty('polluted');
      expect(errors).toEqual([]);
    });

    it('a "constructor" key that is only data is hydrated safely, not refused', async () => {
      const { appId, queue, exchange } = await names();
      const dispatcher = new EventDispatcher();
      const bridge = new Bridge({
        dispatcher,
        transport: context.transport,
        appId,
        repeatCounter: context.counter,
      });
      bridge.consume({ queue, bindingKeys: [`${exchange}.placed`], events: { 'order.placed': OrderPlaced } });
      cleanups.unshift(() => bridge.close());
      const received: OrderPlaced[] = [];
      dispatcher.on(OrderPlaced, (event) => void received.push(event));
      await bridge.start();
      await context.publishRaw({
        exchange,
        routingKey: `${exchange}.placed`,
        content: Buffer.from('{"orderId":"c-1","total":3,"constructor":"Bob the builder","prototype":1}'),
        properties: { messageId: randomUUID(), type: 'order.placed' },
      });
      const [event] = await waitFor(() => received.length === 1 && received, timeoutMs, 'the event');
      expect(event).toBeInstanceOf(OrderPlaced);
      expect(event!.constructor).toBe(OrderPlaced);
      expect(Object.keys(event!)).toEqual(['orderId', 'total']);
    });

    it('a bad message that comes back redelivered still goes straight to the dead-letter queue', async () => {
      const { appId, queue, exchange } = await names();
      const options = {
        appId,
        queue,
        bindingKeys: [`${exchange}.placed`],
        repeatCounter: context.counter,
        repeatDelaysMs: [40],
      };
      // Declare the queue, then leave it without a consumer.
      const declaring = new Consumer(context.transport, options);
      await declaring.consume(() => {});
      await declaring.close();
      const messageId = randomUUID();
      await context.publishRaw({
        exchange,
        routingKey: `${exchange}.placed`,
        content: Buffer.from('{not json'),
        properties: { messageId },
      });
      // Delivered once and returned unsettled, as when a consumer dies holding it.
      const first = await eventually(() => context.transport.get(queue), timeoutMs, 'the message');
      first.nack({ requeue: true });

      const subscriber = new Consumer(context.transport, options);
      cleanups.unshift(() => subscriber.close());
      const outcomes: SettledOutcome[] = [];
      subscriber.on('settled', (outcome) => outcomes.push(outcome));
      let runs = 0;
      await subscriber.consume(() => void runs++);
      await waitFor(() => outcomes.length > 0, timeoutMs, 'the outcome');
      expect(outcomes).toEqual([
        expect.objectContaining({ outcome: 'dead-lettered', reason: 'invalid-content', messageId }),
      ]);
      expect(runs).toBe(0);
      const [deadLetter] = await deadLettersOf(appId, 1);
      expect(deadLetter).toMatchObject({ messageId, reason: 'invalid-content' });
    });

    it('headers at the largest allowed size leave room for what repeats and dead letters add', async () => {
      const { appId, queue, exchange } = await names();
      const subscriber = new Consumer(context.transport, {
        appId,
        queue,
        bindingKeys: [`${exchange}.placed`],
        repeatCounter: context.counter,
        repeatDelaysMs: [40],
        maxAttempts: 2,
        maxHeaderBytes: 49_152,
      });
      cleanups.unshift(() => subscriber.close());
      const outcomes: SettledOutcome[] = [];
      subscriber.on('settled', (outcome) => outcomes.push(outcome));
      const errors: Error[] = [];
      subscriber.on('error', (error) => errors.push(error));
      let runs = 0;
      await subscriber.consume(() => {
        runs++;
        // As long an error as tidings copies: name, message and stack all beyond their truncation.
        const error = new Error('é'.repeat(5000));
        error.name = 'N'.repeat(5000);
        error.stack = '€'.repeat(10_000);
        throw error;
      });
      const messageId = randomUUID();
      // 49,152 bytes of headers in all: the most maxHeaderBytes allows.
      const headers = { 'x-blob': 'h'.repeat(49_152 - 4 - 1 - 6 - 5) };
      await context.publishRaw({
        exchange,
        routingKey: `${exchange}.placed`,
        content: Buffer.from('{"n":1}'),
        properties: { messageId, headers },
      });
      await waitFor(() => outcomes.some((o) => o.outcome === 'dead-lettered'), timeoutMs, 'the dead letter');
      expect(outcomes.map((o) => o.outcome)).toEqual(['repeated', 'dead-lettered']);
      expect(runs).toBe(2);
      expect(errors).toEqual([]);
      const [deadLetter] = await deadLettersOf(appId, 1);
      expect(deadLetter).toMatchObject({ messageId, reason: 'repeats-exhausted', attempts: 2 });
      expect(deadLetter!.properties.headers?.['x-blob']).toBe(headers['x-blob']); // kept: they fit
    });

    it('publishing headers beyond 64 KiB, or properties the broker would refuse, fails typed; the transport carries on', async () => {
      const { appId, queue, exchange } = await names();
      const subscriber = new Consumer(context.transport, {
        appId,
        queue,
        bindingKeys: [`${exchange}.placed`],
        repeatCounter: context.counter,
      });
      cleanups.unshift(() => subscriber.close());
      const handled: string[] = [];
      await subscriber.consume(({ messageId }) => void handled.push(messageId));
      const message = (properties: MessageProperties): OutgoingMessage => ({
        exchange,
        routingKey: `${exchange}.placed`,
        content: Buffer.from('{"n":1}'),
        properties: { messageId: randomUUID(), ...properties },
      });

      // A good publish in flight at the same time must be confirmed, not caught up in the failure.
      const inFlight = message({});
      const confirmed = context.transport.publish(inFlight);
      const tooLarge = await context.transport
        .publish(message({ messageId: 'huge', headers: { 'x-blob': 'h'.repeat(70_000) } }))
        .catch((error: unknown) => error);
      expect(tooLarge).toBeInstanceOf(HeadersTooLargeError);
      expect(tooLarge).toBeInstanceOf(InvalidArgumentError);
      expect(tooLarge).toMatchObject({
        code: 'ERR_TIDINGS_HEADERS_TOO_LARGE',
        messageId: 'huge',
        bytes: 70_000 + 4 + 1 + 6 + 5,
        limit: 65_536,
      });
      expect((tooLarge as Error).message).toBe(
        'The headers of message huge encode to 70016 bytes; an AMQP header table holds at most 65536, ' +
          'so the message was not published',
      );
      for (const [properties, text] of [
        [{ expiration: '-1' }, /expiration must be a string of milliseconds such as "5000", got "-1"/],
        [{ deliveryMode: 7 }, /deliveryMode must be 1 or 2, got number 7/],
        [{ priority: 300 }, /priority|300/],
        [{ messageId: 'm'.repeat(300) }, /messageId/],
      ] as const) {
        const error = await context.transport
          .publish(message(properties as MessageProperties))
          .catch((e: unknown) => e);
        expect(error, JSON.stringify(properties).slice(0, 40)).toBeInstanceOf(InvalidArgumentError);
        expect((error as Error).message).toMatch(text);
      }
      await confirmed;
      const after = message({});
      await context.transport.publish(after);
      await waitFor(() => handled.length === 2, timeoutMs, 'both good messages');
      expect(handled.sort()).toEqual([inFlight.properties.messageId, after.properties.messageId].sort());
      expect((await context.transport.queueStats(queue))?.messageCount).toBe(0);
      expect(await new DeadLetters(context.transport, { appId }).list()).toEqual([]);
    });
  });
}
