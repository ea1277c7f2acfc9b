import { describe, expect, it } from 'vitest';
import { InvalidContentError, type Delivery } from '../../src/index.js';
import { encodeMessage } from '../../src/messaging/envelope.js';
import { decodeBody, identify, MAX_JSON_DEPTH } from '../../src/messaging/envelope.js';
import { hydrate } from '../../src/messaging/hydrate.js';
import { uuidv7 } from '../../src/internal/uuid-v7.js';

function delivery(content: string | Buffer, properties: Partial<Delivery['properties']> = {}): Delivery {
  return {
    queue: 'q',
    exchange: 'order',
    routingKey: 'order.placed',
    redelivered: false,
    content: Buffer.isBuffer(content) ? content : Buffer.from(content),
    properties: { headers: {}, ...properties },
    ack: () => true,
    nack: () => true,
  };
}

describe('wire format', () => {
  it('encodes JSON with the documented properties', () => {
    const encoded = encodeMessage({ a: 1 }, { appId: 'shop', eventName: 'order.placed', correlationId: 'c' });
    expect(JSON.parse(encoded.content.toString())).toEqual({ a: 1 });
    expect(encoded.properties).toMatchObject({
      contentType: 'application/json',
      deliveryMode: 2,
      appId: 'shop',
      type: 'order.placed',
      correlationId: 'c',
      headers: { 'x-tidings-origin': 'shop' },
    });
    expect(encoded.properties.timestamp).toBe(Math.floor(Date.now() / 1000));
    expect(() => encodeMessage(undefined)).toThrow(InvalidContentError);
  });

  it('decodes without the gadget check only what cannot hold a gadget key, and bounds the nesting', () => {
    const limits = { maxContentBytes: 1_000_000 };
    // Keys written with escapes are the same keys: still refused.
    expect(() => decodeBody(delivery('{"__pro\\u0074o__":{"x":1}}'), limits)).toThrow(/"__proto__" key/);
    expect(() => decodeBody(delivery('{"\\u0063onstructor":{"prototype":{"x":1}}}'), limits)).toThrow(
      /"constructor" key holding a "prototype" key/,
    );
    // A byte-order mark before the JSON is skipped (TextDecoder's behaviour, kept).
    expect(decodeBody(delivery(Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from('{"a":1}')])), limits)).toEqual({
      a: 1,
    });
    expect(() => decodeBody(delivery(Buffer.from([0x7b, 0xff, 0x7d])), limits)).toThrow(/not valid UTF-8/);
    // MAX_JSON_DEPTH levels are fine, one more is refused; brackets inside strings do not count.
    const nested = (levels: number): string => '['.repeat(levels) + ']'.repeat(levels);
    expect(() => decodeBody(delivery(nested(MAX_JSON_DEPTH)), limits)).not.toThrow();
    expect(() => decodeBody(delivery(nested(MAX_JSON_DEPTH + 1)), limits)).toThrow(
      /^The body is nested too deeply to parse$/,
    );
    // The publishing side refuses what every consumer would: nothing too deep is sent or stored.
    expect(() => encodeMessage(JSON.parse(nested(MAX_JSON_DEPTH + 1)))).toThrow(
      /^The payload is nested more than 1000 levels deep$/,
    );
    expect(() => encodeMessage(JSON.parse(nested(MAX_JSON_DEPTH)))).not.toThrow();
    const quoted = JSON.stringify({ text: '[{\\"'.repeat(2000) });
    expect(decodeBody(delivery(quoted), limits)).toEqual(JSON.parse(quoted));
  });

  it('identifies a message by messageId, else the body event_id, else a hash of the body', () => {
    expect(identify(delivery('{}', { messageId: 'm-1' }))).toMatchObject({
      messageId: 'm-1',
      idFrom: 'property',
    });
    expect(identify(delivery('{"event_id":11995}'), { event_id: 11995 })).toMatchObject({
      messageId: '11995',
      idFrom: 'event_id',
    });
    // An empty event_id is no id: the hash is used, and the consumer refuses the message for it.
    expect(identify(delivery('{"event_id":""}'), { event_id: '' }).idFrom).toBe('body-hash');
    expect(identify(delivery('{"x":1}'), { x: 1 }).idFrom).toBe('body-hash');
    const hashed = identify(delivery('{"x":1}'), { x: 1 }).messageId;
    expect(hashed).toMatch(/^sha256:[0-9a-f]{32}$/);
    expect(identify(delivery('{"x":1}'), { x: 1 }).messageId).toBe(hashed);
    expect(identify(delivery('{"x":2}'), { x: 2 }).messageId).not.toBe(hashed);
  });

  it('reads the attempt header and the original routing of repeats', () => {
    const identity = identify(
      delivery('{}', {
        headers: {
          'x-tidings-attempt': 2,
          'x-tidings-original-exchange': 'order',
          'x-tidings-original-routing-key': 'order.placed',
        },
      }),
    );
    expect(identity).toMatchObject({ headerAttempt: 2, exchange: 'order', routingKey: 'order.placed' });
    expect(identify(delivery('{}', { headers: { 'x-tidings-attempt': 'garbage' } })).headerAttempt).toBe(0);
    // A header longer than any exchange name or routing key can be is not taken for one: copies could
    // otherwise carry it along and outgrow the header table.
    expect(
      identify(delivery('{}', { headers: { 'x-tidings-original-exchange': 'e'.repeat(256) } })).exchange,
    ).toBe('order');
  });

  it('decodes JSON without a content type (seed PHP messages) and rejects what is not JSON', () => {
    expect(decodeBody(delivery('{"a":1}'), { maxContentBytes: 100 })).toEqual({ a: 1 });
    expect(
      decodeBody(delivery('[1]', { contentType: 'application/json; charset=utf-8' }), {
        maxContentBytes: 100,
      }),
    ).toEqual([1]);
    for (const contentType of [
      'application/cloudevents+json',
      'application/vnd.shop.order+json; v=2',
      'text/json',
    ])
      expect(decodeBody(delivery('{"a":1}', { contentType }), { maxContentBytes: 100 })).toEqual({ a: 1 });
    const cases: [Delivery, RegExp][] = [
      [delivery('{"a":'), /not valid JSON/],
      [delivery(''), /empty/],
      [delivery(Buffer.from([0xff, 0xfe, 0x00])), /not valid UTF-8/],
      [delivery('x'.repeat(101)), /101 bytes; the limit is 100/],
      [delivery('{"a":{"__proto__":{"x":1}}}'), /__proto__/],
      [delivery('{}', { contentType: 'text/plain' }), /Unsupported content type "text\/plain"/],
      [delivery('{}', { contentType: 'application/jsonp' }), /Unsupported content type/],
      [delivery('{}', { contentType: 'application/json-seq' }), /Unsupported content type/],
      [delivery('{}', { contentType: 'application/x+json+xml' }), /Unsupported content type/],
      [delivery('{}', { contentEncoding: 'gzip' }), /Unsupported content encoding "gzip"/],
      [
        delivery('{"a":{"constructor":{"prototype":{"x":1}}}}'),
        /"constructor" key holding a "prototype" key/,
      ],
    ];
    for (const [input, message] of cases) {
      expect(() => decodeBody(input, { maxContentBytes: 100 })).toThrow(message);
    }
    const deep = delivery('['.repeat(20_000) + ']'.repeat(20_000));
    expect(() => decodeBody(deep, { maxContentBytes: 1_000_000 })).toThrow(
      /^The body is nested too deeply to parse$/,
    );
    // What is only data stays data: a constructor or prototype key without the gadget's shape, and the
    // encodings that mean "UTF-8 as is".
    expect(decodeBody(delivery('{"constructor":"Bob","prototype":1}'), { maxContentBytes: 100 })).toEqual({
      constructor: 'Bob',
      prototype: 1,
    });
    for (const contentEncoding of ['utf-8', 'UTF8', 'identity', '']) {
      expect(decodeBody(delivery('{"a":1}', { contentEncoding }), { maxContentBytes: 100 })).toEqual({
        a: 1,
      });
    }
  });
});

describe('hydration', () => {
  class Placed {
    constructor(
      readonly orderId: string,
      readonly total: number,
    ) {}
    double() {
      return this.total * 2;
    }
  }
  class WithFactory {
    private constructor(readonly at: Date) {}
    static fromPayload(payload: unknown) {
      const at = new Date((payload as { at: string }).at);
      if (Number.isNaN(at.getTime())) throw new Error('bad date');
      return new WithFactory(at);
    }
  }

  it('copies own keys onto an instance of the class, never __proto__, constructor or prototype', () => {
    const payload = JSON.parse(
      '{"orderId":"o","total":2,"constructor":"x","prototype":1,"__proto__":{"evil":true}}',
    ) as object;
    const event = hydrate(Placed, payload);
    expect(event).toBeInstanceOf(Placed);
    expect(event.double()).toBe(4);
    expect(Object.keys(event)).toEqual(['orderId', 'total']);
    expect((event as unknown as { evil?: boolean }).evil).toBeUndefined();
    expect(() => hydrate(Placed, [1])).toThrow(/must be a JSON object/);
  });

  it('holds a key the class has as a getter or a method as the payload’s own value', () => {
    class Labelled {
      declare readonly id: string;
      get label(): string {
        return `order ${this.id}`;
      }
      describe(): string {
        return this.label;
      }
    }
    const event = hydrate(Labelled, { id: 'o-1', label: 'from the payload', toString: 'text' });
    expect(Object.keys(event)).toEqual(['id', 'label', 'toString']);
    expect(event.label).toBe('from the payload');
    expect(event.describe()).toBe('from the payload');
    expect(Object.getOwnPropertyDescriptor(event, 'toString')?.value).toBe('text');
  });

  it('uses a static fromPayload when the class has one; its failure is invalid content', () => {
    expect(hydrate(WithFactory, { at: '2026-01-01T00:00:00Z' }).at).toBeInstanceOf(Date);
    expect(() => hydrate(WithFactory, { at: 'never' })).toThrow(InvalidContentError);
  });
});

describe('UUIDv7', () => {
  it('is a version 7 UUID and sorts in creation order', () => {
    const ids = Array.from({ length: 5000 }, () => uuidv7());
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
