import { InvalidRoutingKeyError } from '../errors/invalid-routing-key-error.js';

/**
 * Checks a routing key as the seed library required: at least two non-empty dot-separated parts.
 * @returns the key itself.
 */
export function assertRoutingKey(routingKey: unknown): string {
  if (typeof routingKey !== 'string') throw new InvalidRoutingKeyError(routingKey, 'it must be a string');
  // Scanned, not split: every send checks its key, and an array per check showed in the profiles.
  if (!routingKey.includes('.')) {
    throw new InvalidRoutingKeyError(
      routingKey,
      'it needs at least two dot-separated parts, e.g. "order.created"',
    );
  }
  if (routingKey.startsWith('.') || routingKey.endsWith('.') || routingKey.includes('..')) {
    throw new InvalidRoutingKeyError(routingKey, 'it has an empty part');
  }
  // A UTF-16 unit takes at most 3 bytes in UTF-8: only a long key needs measuring.
  if (routingKey.length > 85 && Buffer.byteLength(routingKey) > 255)
    throw new InvalidRoutingKeyError(routingKey, 'it is longer than 255 bytes');
  return routingKey;
}

/** The exchange a routing key is published to: its first part (`order.created` → `order`). */
export function exchangeOf(routingKey: string): string {
  return assertRoutingKey(routingKey).slice(0, routingKey.indexOf('.'));
}

/**
 * Whether a topic binding pattern matches a routing key: `*` matches exactly one word, `#` zero or
 * more words (AMQP 0-9-1 topic exchange semantics).
 */
export function topicMatches(pattern: string, routingKey: string): boolean {
  return matchWords(pattern.split('.'), 0, routingKey.split('.'), 0);
}

function matchWords(pattern: string[], p: number, words: string[], w: number): boolean {
  for (; p < pattern.length; p++, w++) {
    const token = pattern[p];
    if (token === '#') {
      if (p === pattern.length - 1) return true;
      for (let skip = w; skip <= words.length; skip++) {
        if (matchWords(pattern, p + 1, words, skip)) return true;
      }
      return false;
    }
    if (w >= words.length) return false;
    if (token !== '*' && token !== words[w]) return false;
  }
  return w === words.length;
}
