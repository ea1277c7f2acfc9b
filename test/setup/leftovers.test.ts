import { describe, expect, it } from 'vitest';
import { subscriberNames } from '../helpers/declared-names.js';
import { added, BROKER_NAME_PATTERNS, isTestRedisKey, kept, PG_NAME_PATTERNS } from './leftovers.js';

const ours = (name: string) => BROKER_NAME_PATTERNS.some((pattern) => pattern.test(name));

describe('the leftover check', () => {
  it("counts the tests' broker names, and no one else's", () => {
    for (const name of [
      'bad78af6072.queue.wait.1000ms',
      't85eb0990.queue.wait.60000ms',
      't85eb0990-app.dead-letter',
      't-1a2b3c4d-queue',
      'clicfbbabfa.q',
      'cli-relay-1a2b3c4d',
      'q1a2b3c4d.quorum',
      'fault-crash-redis-1a2b3c4d.queue.wait.30ms',
      'dla-replay-1a2b3c4d-app.dead-letters',
      'sec-1a2b3c4d-user',
      'demo-billing.orders.wait.100ms',
    ])
      expect(ours(name), name).toBe(true);
    for (const name of [
      'exp-deep-2000',
      'hdr-1a2b3c4d.queue',
      'fault-rel5-28a4fe72.queue.wait.50ms',
      'orders',
    ])
      expect(ours(name), name).toBe(false);
  });

  it('counts test tables and repeat counters', () => {
    expect(PG_NAME_PATTERNS.some((p) => p.test('tidings_outbox_e820eb14de_token_seq'))).toBe(true);
    expect(PG_NAME_PATTERNS.some((p) => p.test('rel5_outbox_e820eb14de'))).toBe(false);
    expect(isTestRedisKey('tidings-test:048c957e:tc5661805.queue:01a24a21')).toBe(true);
    expect(isTestRedisKey('tidings:attempts:tidings-test%3A1-x%3Adefault:m')).toBe(true);
    expect(isTestRedisKey('tidings:attempts:orders:m')).toBe(false);
  });

  it('reports what a run added and what stays', () => {
    const before = new Map([['queue', ['a']]]);
    const after = new Map([
      ['queue', ['a', 'b', 'c']],
      ['user', ['u']], // not listed before: not compared
    ]);
    const found = added(before, after);
    expect(found).toEqual(new Map([['queue', ['b', 'c']]]));
    expect(kept(found, new Map([['queue', ['c']]]))).toEqual(new Map([['queue', ['c']]]));
  });

  it('names every queue and exchange a subscriber declares', () => {
    expect(subscriberNames({ appId: 'a', queue: 'a.q', bindingKeys: ['x.made'] })).toEqual({
      queues: ['a.dead-letters', 'a.q', 'a.q.wait.1000ms', 'a.q.wait.10000ms', 'a.q.wait.60000ms'],
      exchanges: ['a.dead-letter', 'x'],
    });
  });
});
