import { describe, expect, it } from 'vitest';
import { InvalidRoutingKeyError, InvalidArgumentError } from '../../src/index.js';
import { assertRoutingKey, exchangeOf, topicMatches } from '../../src/messaging/routing.js';

describe('routing keys', () => {
  it('need at least two non-empty dot-separated parts; the exchange is the first', () => {
    expect(exchangeOf('order.created')).toBe('order');
    expect(exchangeOf('order.item.added')).toBe('order');
    for (const [key, reason] of [
      ['order', /at least two dot-separated parts/],
      ['order.', /empty part/],
      ['.created', /empty part/],
      ['a..b', /empty part/],
      ['', /at least two/],
    ] as const) {
      const error = (() => {
        try {
          assertRoutingKey(key);
        } catch (caught) {
          return caught;
        }
      })();
      expect(error).toBeInstanceOf(InvalidRoutingKeyError);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error).toMatchObject({ code: 'ERR_TIDINGS_INVALID_ROUTING_KEY', routingKey: key });
      expect((error as Error).message).toMatch(reason);
    }
    expect(() => assertRoutingKey(42)).toThrow(/must be a string/);
    expect(() => assertRoutingKey(`a.${'x'.repeat(300)}`)).toThrow(/longer than 255 bytes/);
  });

  it('topic patterns: * is one word, # is zero or more', () => {
    const cases: [string, string, boolean][] = [
      ['order.*', 'order.created', true],
      ['order.*', 'order.item.added', false],
      ['order.#', 'order', true],
      ['order.#', 'order.item.added', true],
      ['#.added', 'order.item.added', true],
      ['#', 'anything.at.all', true],
      ['*.created', 'order.created', true],
      ['*.created', 'created', false],
      ['order.*.added', 'order.item.added', true],
      ['order.#.added', 'order.added', true],
      ['order.created', 'order.created', true],
      ['order.created', 'order.updated', false],
    ];
    for (const [pattern, key, expected] of cases)
      expect(topicMatches(pattern, key), `${pattern} ~ ${key}`).toBe(expected);
  });
});
