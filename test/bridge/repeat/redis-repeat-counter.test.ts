import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { redisEndpointFromClient, redisEndpointFromUrl } from '../../../src/adapters/redis/redis-endpoint.js';
import { RedisRepeatCounter } from '../../../src/adapters/redis/redis-repeat-counter.js';
import { InvalidArgumentError } from '../../../src/errors/invalid-argument-error.js';
import { redact } from '../../../src/internal/redact.js';
import { sanitizeError } from '../../../src/internal/safe-error.js';

// No Redis needed here: a counter given a url connects only on its first call.

describe('RedisRepeatCounter options', () => {
  it('needs exactly one of redis or url', () => {
    expect(() => new RedisRepeatCounter({})).toThrow(/exactly one of the options redis \(a client\) or url/);
    expect(() => new RedisRepeatCounter(undefined as never)).toThrow(InvalidArgumentError);
    const client = fakeClient();
    expect(() => new RedisRepeatCounter({ redis: client, url: 'redis://cache' })).toThrow(/exactly one/);
  });

  it('names a misspelt option and rejects bad values', () => {
    expect(() => new RedisRepeatCounter({ url: 'redis://cache', timeout: 5 } as never)).toThrow(
      /unknown option "timeout"/,
    );
    expect(() => new RedisRepeatCounter({ url: 'redis://cache', timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(() => new RedisRepeatCounter({ url: 'redis://cache', ttlMs: 1.5 })).toThrow(/ttlMs/);
    expect(() => new RedisRepeatCounter({ url: 'redis://cache', keyPrefix: 7 as never })).toThrow(
      /keyPrefix must be a string/,
    );
    expect(() => new RedisRepeatCounter({ redis: {} as never })).toThrow(/redis must be an ioredis client/);
    for (const maxKeysPerCommand of [0, 1.5, 10_001, '5' as never]) {
      expect(() => new RedisRepeatCounter({ url: 'redis://cache', maxKeysPerCommand })).toThrow(
        /maxKeysPerCommand must be an integer from 1 to 10000/,
      );
    }
  });

  it('constructs and closes without connecting', async () => {
    const counter = new RedisRepeatCounter({ url: 'redis://127.0.0.1:1' });
    await counter.close();
    await expect(counter.increment('q', 'm')).rejects.toMatchObject({ reason: 'closed' });
  });

  it('registers its script on a client you bring, and does not close that client', async () => {
    const client = fakeClient();
    const counter = new RedisRepeatCounter({ redis: client });
    expect(client.defined).toEqual(['tidingsRepeatIncrementMany']);
    await counter.close();
    expect(client.disconnected).toBe(false);
  });

  it('fails every key of a call whose reply is not one count per key, rather than guess whose is whose', async () => {
    for (const reply of [7, [1], [1, 2, 3], null]) {
      const client = Object.assign(fakeClient(), { tidingsRepeatIncrementMany: async () => reply });
      const counter = new RedisRepeatCounter({ redis: client });
      const results = await Promise.allSettled([counter.increment('q', 'a'), counter.increment('q', 'b')]);
      for (const result of results) {
        expect(result).toMatchObject({ status: 'rejected', reason: { reason: 'failed' } });
        expect(String((result as PromiseRejectedResult).reason)).toMatch(/unexpected reply/);
      }
      await counter.close();
    }
  });

  it('rejects invalid queue and message id before touching Redis', async () => {
    const counter = new RedisRepeatCounter({ redis: fakeClient() });
    await expect(counter.increment('', 'm')).rejects.toThrow(/queue must be a non-empty string/);
    await expect(counter.forget('q', '')).rejects.toThrow(/messageId must be a non-empty string/);
  });
});

describe('Redis endpoint redaction', () => {
  it('hides the user info of a URL and a password in its query string', () => {
    expect(redisEndpointFromUrl('redis://:p%40ss@cache:6380/2?password=x', 'here')).toEqual({
      display: 'redis://***@cache:6380/2?password=***',
      secrets: ['p%40ss', 'p@ss', 'x'],
    });
    expect(redisEndpointFromUrl('rediss://cache', 'here').display).toBe('rediss://cache');
    expect(redisEndpointFromUrl('redis://token@cache', 'here')).toEqual({
      display: 'redis://***@cache',
      secrets: ['token'],
    });
  });

  it('finds the password of a client you bring', () => {
    expect(redisEndpointFromClient({ options: { host: 'cache', port: 6379, password: 'pw' } })).toEqual({
      display: 'Redis client cache:6379',
      secrets: ['pw'],
    });
    expect(redisEndpointFromClient({ options: { redisOptions: { password: 'a b' } } })).toEqual({
      display: 'the Redis client passed as `redis`',
      secrets: ['a%20b', 'a b'],
    });
  });

  it('copies an error without its command arguments and with secrets redacted', () => {
    const error = Object.assign(new Error('WRONGPASS for s3cret'), {
      name: 'ReplyError',
      code: 'WRONGPASS',
      command: { name: 'hello', args: ['3', 'AUTH', 'default', 's3cret'] },
    });
    const copy = sanitizeError(error, ['s3cret']);
    expect(copy).toMatchObject({ name: 'ReplyError', message: 'WRONGPASS for ***', code: 'WRONGPASS' });
    expect(inspect(copy, { depth: 10 })).not.toContain('s3cret');
    expect(sanitizeError('s3cret', ['s3cret']).message).toBe('***');
    expect(redact('a-s3cret-b-s3cret', ['s3cret'])).toBe('a-***-b-***');
  });

  it('rejects a URL that is not redis:// or rediss://, or not a URL, without echoing it', () => {
    expect(() => redisEndpointFromUrl('http://cache', 'here')).toThrow(/redis:\/\/ or rediss:\/\//);
    expect(() => redisEndpointFromUrl('redis://:pw@[x', 'here')).toThrow(/not a valid URL/);
    expect(() => redisEndpointFromUrl(42, 'here')).toThrow(/url must be a string/);
  });
});

function fakeClient() {
  return {
    status: 'ready',
    defined: [] as string[],
    disconnected: false,
    defineCommand(name: string) {
      this.defined.push(name);
    },
    del: async () => 0,
    connect: async () => {},
    disconnect() {
      this.disconnected = true;
    },
    on: () => {},
    off: () => {},
  };
}
