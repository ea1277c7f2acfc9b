// encodeOutboxMessage encodes as Publisher.send does; outboxes refuse what no relay could publish; the
// relay publishes a row's stored bytes, and refuses (records as failed) a row without them.
import { describe, expect, it } from 'vitest';
import {
  AggregateRoot,
  Bridge,
  encodeOutboxMessage,
  EventDispatcher,
  Flusher,
  HeadersTooLargeError,
  InMemoryUnitOfWork,
  InvalidArgumentError,
  InvalidContentError,
  InvalidRoutingKeyError,
  MemoryBroker,
  MemoryOutbox,
  MemoryTransport,
  OutboxRelay,
  Publisher,
  type ClaimedRow,
  type OutboxMessage,
  type OutgoingMessage,
  type Transport,
} from '../../src/index.js';
import { toClaimedRow, type ClaimedRecord } from '../../src/adapters/postgres/pg-outbox-rows.js';

/** A transport that keeps what it is asked to publish. */
function capturing(): { transport: Transport; sent: OutgoingMessage[] } {
  const sent: OutgoingMessage[] = [];
  const transport = {
    publish: (message: OutgoingMessage) => {
      sent.push(message);
      return Promise.resolve();
    },
    declare: () => Promise.resolve(),
  } as unknown as Transport;
  return { transport, sent };
}

describe('encodeOutboxMessage', () => {
  it('is what Publisher.send publishes for the same payload and options; the message id is the row id', async () => {
    const { transport, sent } = capturing();
    const headers = {
      'x-at': new Date(0),
      'x-blob': Buffer.from([1, 2]),
      'x-n': { '!': 'uint16', value: 7 },
    };
    const options = { headers, correlationId: 'c-1', eventName: 'order.placed', expirationMs: 5000 };
    const payload = { orderId: 'o-1', lines: [{ sku: 'a', qty: 2 }] };
    await new Publisher(transport, { appId: 'orders' }).send(payload, 'order.placed', {
      ...options,
      messageId: '0190a000-0000-7000-8000-000000000001',
    });
    const message = encodeOutboxMessage(payload, 'order.placed', {
      ...options,
      appId: 'orders',
      messageId: '0190a000-0000-7000-8000-000000000001',
    });
    const direct = sent[0]!;
    expect(message.content).toStrictEqual(direct.content);
    expect(message.exchange).toBe(direct.exchange);
    expect(message.routingKey).toBe(direct.routingKey);
    expect(message.id).toBe(direct.properties.messageId);
    const { messageId: _id, timestamp, ...directProperties } = direct.properties;
    const { timestamp: rowTimestamp, ...rowProperties } = message.properties;
    expect(rowProperties).toStrictEqual(directProperties);
    expect(Math.abs(rowTimestamp! - timestamp!)).toBeLessThanOrEqual(1);
  });

  it('without an appId, the same application id as a Publisher without one (TIDINGS_APP_ID, else tidings)', async () => {
    const saved = process.env['TIDINGS_APP_ID'];
    try {
      for (const env of [undefined, 'billing']) {
        if (env === undefined) delete process.env['TIDINGS_APP_ID'];
        else process.env['TIDINGS_APP_ID'] = env;
        const { transport, sent } = capturing();
        await new Publisher(transport).send({ n: 1 }, 'order.placed');
        const message = encodeOutboxMessage({ n: 1 }, 'order.placed');
        expect(message.properties.appId).toBe(env ?? 'tidings');
        expect(message.properties.appId).toBe(sent[0]!.properties.appId);
        expect(message.properties.headers).toStrictEqual(sent[0]!.properties.headers);
      }
    } finally {
      if (saved === undefined) delete process.env['TIDINGS_APP_ID'];
      else process.env['TIDINGS_APP_ID'] = saved;
    }
  });

  it('defaults: a UUIDv7 id, the routing key as event name, its first part as exchange; `exchange` overrides', () => {
    const message = encodeOutboxMessage({ n: 1 }, 'order.placed', { appId: 'shop' });
    expect(message.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(message).toMatchObject({ exchange: 'order', routingKey: 'order.placed' });
    expect(message.properties).toMatchObject({
      contentType: 'application/json',
      deliveryMode: 2,
      appId: 'shop',
      type: 'order.placed',
      headers: { 'x-tidings-origin': 'shop' },
    });
    expect(Buffer.from(message.content).toString('utf8')).toBe('{"n":1}');
    expect(encodeOutboxMessage(1, 'order.placed', { exchange: 'other' }).exchange).toBe('other');
  });

  it('refuses what Publisher.send refuses, with the same errors', () => {
    expect(() => encodeOutboxMessage({}, 'placed')).toThrow(InvalidRoutingKeyError);
    expect(() => encodeOutboxMessage(undefined, 'order.placed')).toThrow(InvalidContentError);
    expect(() => encodeOutboxMessage({ n: 1n }, 'order.placed')).toThrow(InvalidContentError);
    expect(() => encodeOutboxMessage({ n: 1n }, 'order.placed')).toThrow(
      /cannot be serialized to JSON: .*BigInt/,
    );
    expect(() => encodeOutboxMessage({}, 'order.placed', { expirationMs: 1.5 })).toThrow(/expirationMs/);
    expect(() => encodeOutboxMessage({}, 'order.placed', { timeoutMs: 5 } as never)).toThrow(/timeoutMs/);
    expect(() => encodeOutboxMessage({}, 'order.placed', { appId: '' })).toThrow(/appId/);
  });
});

class OrderPlaced {
  static eventName = 'order.placed';
  constructor(readonly orderId: string) {}
}
class Order extends AggregateRoot {
  place(orderId: string): this {
    this.recordEvent(new OrderPlaced(orderId));
    return this;
  }
}

describe('MemoryOutbox.add', () => {
  const unitOfWork = new InMemoryUnitOfWork();
  const add = (messages: unknown[]) =>
    unitOfWork.transaction((tx) => new MemoryOutbox().add(messages as OutboxMessage[], tx));

  it('refuses a message without its encoded body, naming the previous shape', async () => {
    const { content: _content, ...legacy } = encodeOutboxMessage({ n: 1 }, 'order.placed');
    await expect(add([{ ...legacy, payload: { n: 1 } }])).rejects.toThrow(
      /messages\[0\] has a "payload" and no "content".*encodeOutboxMessage/,
    );
    await expect(add([{ ...legacy, content: 'text' }])).rejects.toThrow(
      /content must be a Buffer or Uint8Array/,
    );
    await expect(add([null])).rejects.toBeInstanceOf(InvalidArgumentError);
    const big = encodeOutboxMessage({}, 'order.placed', { headers: { big: 'x'.repeat(70_000) } });
    await expect(add([big])).rejects.toBeInstanceOf(HeadersTooLargeError);
  });

  it('keeps a copy: the body and headers as they were added, Buffers still Buffers', async () => {
    const outbox = new MemoryOutbox();
    const content = Buffer.from('{"n":1}');
    const headers = { 'x-blob': Buffer.from([1, 2]), 'x-at': new Date(5000) };
    const message = { ...encodeOutboxMessage({ n: 1 }, 'order.placed'), content, properties: { headers } };
    await unitOfWork.transaction((tx) => outbox.add([message], tx));
    content.fill(0);
    headers['x-blob'].fill(0);
    const [row] = await outbox.claim('relay', 1, 1000);
    expect(row!.content.toString('utf8')).toBe('{"n":1}');
    expect(row!.properties.headers).toStrictEqual({ 'x-blob': Buffer.from([1, 2]), 'x-at': new Date(5000) });
  });

  it('a flush whose forwarded event cannot be encoded fails and rolls back, as the direct publish would fail', async () => {
    const dispatcher = new EventDispatcher();
    const flusher = new Flusher({ dispatcher, unitOfWork });
    const outbox = new MemoryOutbox();
    const bridge = new Bridge({ dispatcher, transport: capturing().transport, appId: 'shop' });
    bridge.forward(OrderPlaced, { routingKey: 'order.placed', toPayload: () => undefined });
    bridge.useOutbox(flusher, outbox);
    await expect(flusher.flush(new Order().place('o-1'))).rejects.toBeInstanceOf(InvalidContentError);
    expect((await outbox.stats()).pending).toBe(0);
  });
});

describe('OutboxRelay', () => {
  it('refuses a row without content (an Outbox written for the previous interface): recorded as failed, not published', async () => {
    const outbox = new MemoryOutbox();
    const legacyRow = { id: 'r-1', exchange: 'order', routingKey: 'order.placed', payload: { n: 1 } };
    const failed: string[] = [];
    outbox.claim = () =>
      Promise.resolve([
        { ...legacyRow, properties: {}, attempts: 0, createdAt: new Date(), leaseToken: '1' },
      ] as never);
    outbox.markFailed = (_owner, rows) => {
      failed.push(...rows.map((row) => row.error));
      return Promise.resolve(rows.map((row) => row.id));
    };
    const transport = new MemoryTransport({ broker: new MemoryBroker() });
    const relay = new OutboxRelay({ outbox, transport });
    const errors: Error[] = [];
    relay.on('failed', ({ error }) => errors.push(error));
    expect(await relay.relayOnce()).toBe(0);
    expect(failed).toEqual([expect.stringMatching(/^InvalidArgumentError: Outbox row r-1 has no content/)]);
    expect(errors[0]).toBeInstanceOf(InvalidArgumentError);
    await transport.close();
  });
});

describe('PgOutbox rows', () => {
  const record = (overrides: Partial<ClaimedRecord>): ClaimedRow =>
    toClaimedRow({
      id: '0190a000-0000-7000-8000-000000000001',
      exchange: 'order',
      routing_key: 'order.placed',
      body: null,
      typed_headers: null,
      payload: null,
      headers: null,
      properties: '{"type": "order.placed", "appId": "shop"}',
      attempts: '2',
      created_at_ms: '1700000000123.4',
      lease_token: '17',
      ...overrides,
    });

  it('a row of this version: the body as stored, headers decoded with their types', () => {
    const row = record({
      body: '7b00ff',
      typed_headers: '{"z": 1, "at": {"$date": "2024-01-01T00:00:00.000Z"}, "blob": {"$bytes": "AQI="}}',
    });
    expect(row.content).toStrictEqual(Buffer.from([0x7b, 0x00, 0xff]));
    expect(row.properties).toStrictEqual({
      type: 'order.placed',
      appId: 'shop',
      headers: { z: 1, at: new Date('2024-01-01T00:00:00.000Z'), blob: Buffer.from([1, 2]) },
    });
    expect(row).toMatchObject({ attempts: 2, leaseToken: '17', createdAt: new Date(1_700_000_000_123) });
  });

  it('a row of the previous format (payload, plain headers): encoded as that version’s relay did', () => {
    const row = record({
      payload: '{"total": 42, "orderId": "o-1"}',
      headers: '{"x-tidings-origin": "shop", "x-at": "2024-01-01T00:00:00.000Z"}',
    });
    expect(row.content.toString('utf8')).toBe('{"total":42,"orderId":"o-1"}');
    expect(row.properties.headers).toStrictEqual({
      'x-tidings-origin': 'shop',
      'x-at': '2024-01-01T00:00:00.000Z',
    });
  });
});
