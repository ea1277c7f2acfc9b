import type { RedisClientLike } from './redis-client.js';

/**
 * Increments each key and (re)sets its TTL, each key in one atomic step, so a key can never be left
 * without a TTL (as an `INCR` followed by a separate `PEXPIRE` could, if the connection dropped between
 * them). One call counts every delivery a consumer received in a turn of the event loop (`KeyBatch`); a
 * key may come more than once, and is then counted once per time, in order. A key Redis refuses (one of
 * another type) gets Redis's error in its place and leaves the others counted: `pcall`, because an error
 * raised in a script stops it after the keys before were already counted, which their callers would then
 * not learn.
 */
export const REPEAT_INCREMENT_LUA = `-- KEYS: deliveries of a message on a queue, one per delivery; ARGV[1]: TTL in milliseconds.
-- Returns each key's count, or { the error Redis answered for that key }, in the order of KEYS.
local replies = {}
for i, key in ipairs(KEYS) do
  local count = redis.pcall('INCR', key)
  if type(count) == 'table' and count.err then
    replies[i] = { count.err }
  else
    redis.call('PEXPIRE', key, ARGV[1])
    replies[i] = count
  end
end
return replies`;

/** The name under which the script is registered with `defineCommand` (EVALSHA, EVAL on NOSCRIPT). */
const INCREMENT_COMMAND = 'tidingsRepeatIncrementMany';

/** A client with the increment script registered: one call runs it. */
export type ScriptedClient = RedisClientLike & {
  /** `numberOfKeys`, the keys, then the TTL in milliseconds. */
  tidingsRepeatIncrementMany(numberOfKeys: number, ...keysThenTtl: (string | number)[]): Promise<unknown>;
};

/** Registers the increment script on the client. */
export function withIncrementScript(client: RedisClientLike): ScriptedClient {
  // Registering twice (several counters sharing one client) just replaces the same definition. No
  // `numberOfKeys`: the first argument of each call says how many keys follow.
  client.defineCommand(INCREMENT_COMMAND, { lua: REPEAT_INCREMENT_LUA });
  return client as ScriptedClient;
}
