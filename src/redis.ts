// The public API of tidings/redis: the repeat counter on ioredis (an optional peer dependency). Only this
// entry point loads ioredis.

/**
 * The repeat counter kept in Redis through ioredis (an optional peer dependency): repeats counted across
 * consumers and restarts.
 *
 * @module tidings/redis
 */

export { RedisRepeatCounter } from './adapters/redis/redis-repeat-counter.js';
export type { RedisRepeatCounterOptions } from './adapters/redis/redis-repeat-counter-options.js';
