// The headers a repeat, a dead letter and a replay carry: what each drops, adds and keeps, in which
// order, and that the original (a handler's message.properties.headers) is never changed.
import { describe, expect, it } from 'vitest';
import {
  deadLetterHeaders,
  repeatHeaders,
  replayHeaders,
} from '../../../src/messaging/dead-letters/dead-letter-headers.js';
import { HEADERS } from '../../../src/messaging/names.js';

const NOW = new Date('2026-12-07T08:00:00.123Z');
const EARLIER = '2026-12-07T07:59:00.000Z';

/** A message as it comes back from a wait queue after its first repeat. */
function secondDelivery(): Record<string, unknown> {
  return {
    'x-tenant': 't-1',
    [HEADERS.errorName]: 'Error',
    [HEADERS.errorMessage]: 'first',
    [HEADERS.errorStack]: 'Error: first\n    at old',
    [HEADERS.attempt]: 1,
    [HEADERS.originalExchange]: 'order',
    [HEADERS.originalRoutingKey]: 'order.placed',
    [HEADERS.firstFailureAt]: EARLIER,
    [HEADERS.lastFailureAt]: EARLIER,
    [HEADERS.death]: [{ queue: 'billing.wait.1000', reason: 'expired', count: 1 }],
    'x-first-death-reason': 'expired',
    'x-first-death-queue': 'billing.wait.1000',
    'x-first-death-exchange': '',
    'x-last-death-reason': 'expired',
    'x-last-death-queue': 'billing.wait.1000',
    'x-last-death-exchange': '',
    'x-after': 'kept',
  };
}

describe('copy headers', () => {
  it("a repeat keeps the message's headers in place, drops the broker's and the old stack, sets its own", () => {
    const original = secondDelivery();
    const before = structuredClone(original);
    const headers = repeatHeaders(original, {
      attempt: 2,
      exchange: 'order',
      routingKey: 'order.placed',
      error: new TypeError('second'),
      now: NOW,
    });
    expect(Object.entries(headers)).toStrictEqual([
      ['x-tenant', 't-1'],
      [HEADERS.errorName, 'TypeError'],
      [HEADERS.errorMessage, 'second'],
      [HEADERS.attempt, 2],
      [HEADERS.originalExchange, 'order'],
      [HEADERS.originalRoutingKey, 'order.placed'],
      [HEADERS.firstFailureAt, EARLIER],
      [HEADERS.lastFailureAt, '2026-12-07T08:00:00.123Z'],
      ['x-after', 'kept'],
    ]);
    expect(original).toStrictEqual(before);
  });

  it('a first repeat adds its headers after the message’s own, first and last failure alike', () => {
    const headers = repeatHeaders(
      { 'x-tidings-origin': 'shop' },
      { attempt: 1, exchange: 'order', routingKey: 'order.placed', error: 'a string', now: NOW },
    );
    expect(Object.entries(headers)).toStrictEqual([
      ['x-tidings-origin', 'shop'],
      [HEADERS.errorName, 'string'],
      [HEADERS.errorMessage, 'a string'],
      [HEADERS.attempt, 1],
      [HEADERS.originalExchange, 'order'],
      [HEADERS.originalRoutingKey, 'order.placed'],
      [HEADERS.firstFailureAt, '2026-12-07T08:00:00.123Z'],
      [HEADERS.lastFailureAt, '2026-12-07T08:00:00.123Z'],
    ]);
  });

  it('each copy has the time it was made, also when copies are made one after the other', () => {
    const at = (now: Date) =>
      repeatHeaders({}, { attempt: 1, exchange: 'e', routingKey: 'e.k', error: 'x', now })[
        HEADERS.lastFailureAt
      ];
    expect(at(NOW)).toBe('2026-12-07T08:00:00.123Z');
    expect(at(new Date(NOW.getTime()))).toBe('2026-12-07T08:00:00.123Z');
    expect(at(new Date(NOW.getTime() + 1))).toBe('2026-12-07T08:00:00.124Z');
    expect(at(NOW)).toBe('2026-12-07T08:00:00.123Z');
  });

  it('a dead letter drops the attempt and the broker’s headers, and carries the reason, the stack, where it was', () => {
    const original = secondDelivery();
    const before = structuredClone(original);
    const error = new Error('third');
    const headers = deadLetterHeaders(original, {
      reason: 'repeats-exhausted',
      error,
      attempts: 3,
      queue: 'billing',
      exchange: 'order',
      routingKey: 'order.placed',
      consumerApp: 'billing-app',
      now: NOW,
    });
    expect(Object.entries(headers)).toStrictEqual([
      ['x-tenant', 't-1'],
      [HEADERS.errorName, 'Error'],
      [HEADERS.errorMessage, 'third'],
      [HEADERS.errorStack, error.stack],
      [HEADERS.originalExchange, 'order'],
      [HEADERS.originalRoutingKey, 'order.placed'],
      [HEADERS.firstFailureAt, EARLIER],
      [HEADERS.lastFailureAt, '2026-12-07T08:00:00.123Z'],
      ['x-after', 'kept'],
      [HEADERS.deadReason, 'repeats-exhausted'],
      [HEADERS.attempts, 3],
      [HEADERS.originalQueue, 'billing'],
      [HEADERS.consumerApp, 'billing-app'],
    ]);
    expect(original).toStrictEqual(before);
  });

  it('a dead letter whose headers were too large carries none of them, and their size', () => {
    const headers = deadLetterHeaders(secondDelivery(), {
      reason: 'invalid-content',
      error: new Error('too large'),
      attempts: 1,
      queue: 'billing',
      exchange: 'order',
      routingKey: 'order.placed',
      consumerApp: 'billing-app',
      now: NOW,
      droppedHeaderBytes: 70_000,
    });
    expect(Object.keys(headers)[0]).toBe(HEADERS.droppedHeadersBytes);
    expect(headers[HEADERS.droppedHeadersBytes]).toBe(70_000);
    expect(headers['x-tenant']).toBeUndefined();
    expect(headers[HEADERS.firstFailureAt]).toBe('2026-12-07T08:00:00.123Z');
  });

  it('a replay keeps only what is not about the failure', () => {
    const dead = { ...secondDelivery(), [HEADERS.deadReason]: 'non-retryable', [HEADERS.attempts]: 2 };
    expect(replayHeaders(dead)).toStrictEqual({
      'x-tenant': 't-1',
      [HEADERS.originalExchange]: 'order',
      [HEADERS.originalRoutingKey]: 'order.placed',
      'x-after': 'kept',
    });
  });

  it('a __proto__ header goes along as a header, without touching any prototype', () => {
    const original = JSON.parse('{"__proto__": {"polluted": true}, "x-tenant": "t-1"}') as Record<
      string,
      unknown
    >;
    const copies = [
      repeatHeaders(original, { attempt: 1, exchange: 'e', routingKey: 'e.k', error: 'x', now: NOW }),
      replayHeaders(original),
    ];
    for (const headers of copies) {
      expect(Object.getPrototypeOf(headers)).toBe(Object.prototype);
      expect(Object.keys(headers).slice(0, 2)).toStrictEqual(['__proto__', 'x-tenant']);
      expect(Object.getOwnPropertyDescriptor(headers, '__proto__')?.value).toStrictEqual({ polluted: true });
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
