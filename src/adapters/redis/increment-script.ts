import type { RedisClientLike } from './redis-client.js';

/**
 * Increments the key and (re)sets its TTL in one atomic step, so a key can never be left without a
 * TTL (as an `INCR` followed by a separate `PEXPIRE` could, if the connection dropped between them).
 */
export const REPEAT_INCREMENT_LUA = `-- KEYS[1]: deliveries of one message on one queue; ARGV[1]: TTL in milliseconds
local count = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return count`;

/** The name under which the script is registered with `defineCommand` (EVALSHA, EVAL on NOSCRIPT). */
const INCREMENT_COMMAND = 'tidingsRepeatIncrement';

/** A client with the increment script registered: one call runs it. */
export type ScriptedClient = RedisClientLike & {
  tidingsRepeatIncrement(key: string, ttlMs: number): Promise<unknown>;
};

/** Registers the increment script on the client. */
export function withIncrementScript(client: RedisClientLike): ScriptedClient {
  // Registering twice (several counters sharing one client) just replaces the same definition.
  client.defineCommand(INCREMENT_COMMAND, { lua: REPEAT_INCREMENT_LUA, numberOfKeys: 1 });
  return client as ScriptedClient;
}
