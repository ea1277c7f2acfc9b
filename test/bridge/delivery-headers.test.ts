// The header size check measures what a copy of the message would carry: copies are written from typed
// headers, in which a 64-bit integer 5 takes 9 bytes, not the 2 a plain 5 would.
import { describe, expect, it, vi } from 'vitest';
import { headerRefusal } from '../../src/messaging/delivery-headers.js';
import type { Delivery } from '../../src/messaging/transport.js';

/** A delivery as the AMQP transport makes one: plain headers, the received size, typed headers. */
function amqpDelivery(
  count: number,
  headerBytes: number,
  typedHeaders = vi.fn(() => typed(count)),
): Delivery {
  const plain: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) plain[`k${String(i).padStart(3, '0')}`] = 5;
  return {
    queue: 'q',
    exchange: 'x',
    routingKey: 'x.y',
    redelivered: false,
    content: Buffer.from('{}'),
    properties: { messageId: 'm-1', headers: plain },
    headerBytes,
    typedHeaders,
    ack: () => true,
    nack: () => true,
  };
}

function typed(count: number): Record<string, unknown> {
  const headers: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) headers[`k${String(i).padStart(3, '0')}`] = { '!': 'int64', value: 5 };
  return headers;
}

describe('headerRefusal', () => {
  it('refuses headers whose copy would exceed the limit, though their plain form is under it', () => {
    // 100 int64 headers: 704 bytes as plain numbers, 1,404 as received and as a copy writes them.
    const refusal = headerRefusal(amqpDelivery(100, 1404), 1000);
    expect(refusal?.error.message).toBe(
      'The headers encode to 1404 bytes; the limit is 1000 (maxHeaderBytes)',
    );
    expect(refusal?.droppedHeaderBytes).toBe(1404);
  });

  it('accepts headers received within the limit without decoding them', () => {
    const typedHeaders = vi.fn(() => typed(100));
    expect(headerRefusal(amqpDelivery(100, 1404, typedHeaders), 1404)).toBeUndefined();
    expect(typedHeaders).not.toHaveBeenCalled();
  });

  it('still refuses headers nested too deeply, by their plain form', () => {
    let deep: Record<string, unknown> = {};
    for (let level = 0; level <= 65; level++) deep = { a: deep };
    const delivery = { ...amqpDelivery(0, 10), properties: { messageId: 'm-1', headers: deep } };
    expect(headerRefusal(delivery, 1000)?.error.message).toMatch(/nested more than 64 deep/);
  });
});
