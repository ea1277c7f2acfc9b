/**
 * The part of an ioredis client (`Redis` or `Cluster`) the counter uses: declared structurally, so a
 * client from another copy of ioredis (another version in the user's tree) is accepted too.
 *
 * @inline
 */
export interface RedisClientLike {
  readonly status: string;
  /** Read only to name the endpoint in errors and to learn which password to redact. */
  readonly options?: object | undefined;
  defineCommand(name: string, definition: { lua: string; numberOfKeys?: number }): void;
  del(...keys: string[]): Promise<number>;
  connect(): Promise<void>;
  disconnect(): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'ready' | 'close' | 'end', listener: () => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'ready' | 'close' | 'end', listener: () => void): unknown;
}

/** Whether a value passed as `redis` has the methods of an ioredis client; checked once, up front. */
export function isRedisClient(value: unknown): value is RedisClientLike {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return ['defineCommand', 'del', 'connect', 'on', 'off'].every(
    (method) => typeof candidate[method] === 'function',
  );
}
