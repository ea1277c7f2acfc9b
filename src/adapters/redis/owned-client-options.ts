import type { RedisOptions } from 'ioredis';

/**
 * Settings of the client the counter owns (the one it creates from `url`), all chosen so that a
 * consumer never waits on Redis for longer than `timeoutMs`, never replays a command late, and
 * recovers without help.
 */
export function ownedClientOptions(timeoutMs: number): RedisOptions {
  // Long enough for a connection over a slow network, short enough to replace a hung one soon.
  const connectionTimeoutMs = Math.max(2 * timeoutMs, 1000);
  return {
    lazyConnect: true, // no socket until the first delivery
    enableOfflineQueue: false, // a command sent while disconnected fails instead of waiting
    maxRetriesPerRequest: 0, // a command in flight when the connection drops fails, and ...
    autoResendUnfulfilledCommands: false, // ... is not replayed on the next connection
    commandTimeout: timeoutMs, // ioredis settles the command itself, not only our deadline
    connectTimeout: connectionTimeoutMs,
    // A connection that answers nothing (hung server, half-open TCP) is destroyed and replaced.
    socketTimeout: connectionTimeoutMs,
    // Never give up; retry soon enough that the counter is back within ~2 s of Redis.
    retryStrategy: (times) => Math.min(50 * 2 ** times, 2000) + Math.floor(Math.random() * 100),
    // After a failover the old primary answers READONLY: reconnect to find the new one.
    reconnectOnError: (error) => error.message.startsWith('READONLY'),
    // How long disconnect() waits for the server to close the socket before destroying it. ioredis
    // keeps the process alive that long, even for a socket that is already gone (2 s by default).
    disconnectTimeout: 100,
    connectionName: 'tidings-repeat-counter',
    // The commands a turn of the event loop makes (a consumer counts a prefetch's worth of deliveries at
    // once) leave in one socket write, not one each.
    enableAutoPipelining: true,
  };
}
