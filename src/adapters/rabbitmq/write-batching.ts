/**
 * One socket write per round of frames instead of one per frame.
 *
 * amqplib queues every outgoing frame (an ack, a publish's method + header + body) in its channel's
 * buffer, and its multiplexer moves the buffered frames to the socket on the next turn of the event
 * loop, calling `socket.write()` once per frame. With `noDelay` each of those writes is a system call
 * and, often, a TCP segment of its own: acking a prefetch of 100 deliveries cost 100 writes, 42% of a
 * consumer's time in the profiles (and as much of the broker's to read them). Corking the socket for the
 * multiplexer's round turns the round into a single `writev`: the same bytes, in the same order, at
 * the same moment (the round runs when it ran before; uncorking at its end sends everything at once).
 *
 * Relies on amqplib 2.x internals (`muxer._readIncoming`, `stream.cork`), so it is installed only with the
 * amqplib versions it was tested against; on any other, frames go out one write each, as in amqplib.
 */

import { amqplibVersion, isTestedAmqplib } from './amqplib-version.js';

interface Multiplexer {
  _readIncoming(): void;
}

interface CorkableStream {
  cork(): void;
  uncork(): void;
}

/**
 * Wraps the multiplexer of an amqplib connection (`ChannelModel`) so that each round is one write.
 * @param version the amqplib version that made the connection (the one installed, by default).
 * @returns whether the connection could be wrapped.
 */
export function batchSocketWrites(model: object, version = amqplibVersion()): boolean {
  if (!isTestedAmqplib(version)) return false;
  const connection = (
    model as { connection?: { muxer?: Partial<Multiplexer>; stream?: Partial<CorkableStream> } }
  ).connection;
  const muxer = connection?.muxer;
  const stream = connection?.stream;
  if (
    typeof muxer?._readIncoming !== 'function' ||
    typeof stream?.cork !== 'function' ||
    typeof stream.uncork !== 'function'
  ) {
    return false;
  }
  const readIncoming = muxer._readIncoming;
  const socket = stream as CorkableStream;
  muxer._readIncoming = function (this: Multiplexer): void {
    socket.cork();
    try {
      readIncoming.call(this);
    } finally {
      // Sends the round in one writev; a 'drain' the round waits for comes after it, as before.
      socket.uncork();
    }
  };
  return true;
}
