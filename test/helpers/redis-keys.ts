import { Redis } from 'ioredis';

/**
 * Deletes every key under `prefix` (a test's repeat counter prefix): the counts the tests leave on
 * purpose (a counter that could not forget) or by failing before the message was settled.
 */
export async function deleteKeysUnder(url: string, prefix: string): Promise<void> {
  if (prefix === '') throw new Error('deleteKeysUnder: an empty prefix would match every key');
  const redis = new Redis(url, { lazyConnect: true });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
