import { describe, expect, it } from 'vitest';
import { encodeMessage, InvalidContentError, type Delivery } from '../../src/index.js';
import { decodeBody, identify } from '../../src/bridge/envelope.js';
import { hydrate } from '../../src/bridge/hydrate.js';
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

  it('identifies a message by messageId, else the body event_id, else a hash of the body', () => {
    expect(identify(delivery('{}', { messageId: 'm-1' })).messageId).toBe('m-1');
    expect(identify(delivery('{"event_id":11995}'), { event_id: 11995 }).messageId).toBe('11995');
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
  });

  it('decodes JSON without a content type (seed PHP messages) and rejects what is not JSON', () => {
    expect(decodeBody(delivery('{"a":1}'), { maxContentBytes: 100 })).toEqual({ a: 1 });
    expect(
      decodeBody(delivery('[1]', { contentType: 'application/json; charset=utf-8' }), {
        maxContentBytes: 100,
      }),
    ).toEqual([1]);
    const cases: [Delivery, RegExp][] = [
      [delivery('{"a":'), /not valid JSON/],
      [delivery(''), /empty/],
      [delivery(Buffer.from([0xff, 0xfe, 0x00])), /not valid UTF-8/],
      [delivery('x'.repeat(101)), /101 bytes; the limit is 100/],
      [delivery('{"a":{"__proto__":{"x":1}}}'), /__proto__/],
      [delivery('{}', { contentType: 'text/plain' }), /Unsupported content type "text\/plain"/],
    ];
    for (const [input, message] of cases) {
      expect(() => decodeBody(input, { maxContentBytes: 100 })).toThrow(message);
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
