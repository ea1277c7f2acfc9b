import type { ChannelModel } from 'amqplib';
import type { Socket } from 'node:net';

/**
 * Notices a silently dead connection — a frozen network path: no FIN, no RST, nothing more arrives —
 * after two heartbeat intervals of silence, as AMQP 0-9-1 (4.2.7) says, give or take one tick.
 *
 * amqplib checks for silence once per interval and gives up after two silent checks: between two and
 * three intervals after the last frame (10–15 s with a 5 s heartbeat; 60–90 s with 30 s). This watchdog
 * looks every second (a quarter interval for shorter heartbeats) at the socket's received byte count.
 * A broker sends a heartbeat whenever it has sent nothing for half an interval, so a healthy connection
 * is never silent for a whole one. When the limit is reached the socket is destroyed, which amqplib
 * reports as a closed connection with an error, and the transport reconnects.
 *
 * A blocked event loop (a long synchronous handler) must not look like silence: bytes that arrived
 * meanwhile are read only after the timers have run. So each tick counts for at most two ticks.
 *
 * Also: once the connection is closed, its socket is destroyed shortly after. amqplib only ends it after
 * its own heartbeat timeout, and on a frozen path that end is never acknowledged.
 */
export function watchForSilence(model: ChannelModel): void {
  const connection = (model as unknown as { connection?: { heartbeat?: unknown; stream?: unknown } })
    .connection;
  const socket = connection?.stream as Socket | undefined;
  const heartbeatSeconds = connection?.heartbeat;
  if (socket === undefined || typeof socket.destroy !== 'function') return;
  model.once('close', () => {
    setTimeout(() => socket.destroy(), SOCKET_LINGER_MS).unref();
  });
  if (typeof heartbeatSeconds !== 'number' || heartbeatSeconds <= 0) return;

  const limitMs = 2 * heartbeatSeconds * 1000;
  const tickMs = Math.min(1000, limitMs / 8);
  let lastBytes = socket.bytesRead;
  let lastTick = Date.now();
  let silentMs = 0;
  const timer = setInterval(() => {
    const now = Date.now();
    const bytes = socket.bytesRead;
    if (bytes !== lastBytes) {
      lastBytes = bytes;
      silentMs = 0;
    } else {
      silentMs += Math.min(now - lastTick, 2 * tickMs);
    }
    lastTick = now;
    if (silentMs >= limitMs) {
      clearInterval(timer);
      socket.destroy(
        new Error(
          `Heartbeat timeout: nothing received from the broker for ${Math.round(silentMs / 1000)} s ` +
            `(heartbeat ${heartbeatSeconds} s)`,
        ),
      );
    }
  }, tickMs);
  // The socket keeps the process alive while it is open; the watchdog alone must not.
  timer.unref();
  model.once('close', () => clearInterval(timer));
}

/** How long a closed connection's socket may take to finish its own close before it is destroyed. */
const SOCKET_LINGER_MS = 2000;
