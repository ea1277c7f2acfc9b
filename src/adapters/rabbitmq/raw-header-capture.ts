/**
 * Keeps the bytes of each received message's header table, as they came off the wire.
 *
 * amqplib decodes headers into plain values that lose their AMQP type (every integer width becomes a JS
 * number, a float and a double look alike, a 64-bit integer beyond 2^53 is rounded), and its API offers
 * no access to the content-header frame. So the transport wraps its connection's frame reader: before
 * amqplib reads a frame, the wrapper makes sure the whole frame is in the connection's buffer (reading the
 * socket as amqplib would), and when it is a content header with headers, keeps a copy of their table's
 * bytes, kept on the properties object amqplib hands out with the message. Nothing is decoded here: a
 * repeat or dead letter decodes the table, typed, only when it is made (`decodeTypedTable`).
 *
 * It also keeps a message with a header table nested some thousands deep from killing the connection:
 * amqplib decodes tables recursively, runs out of stack, and closes the connection with a frame error —
 * after which the broker redelivers the message to the next consumer, and so on forever. Such a frame is
 * decoded again without its headers and marked, so the consumer dead-letters it as `invalid-content`.
 *
 * Relies on amqplib 2.x internals (`recvFrame`, `rest`, `stream`), so it is installed only with the
 * amqplib versions it was tested against (`isTestedAmqplib`); with another, or on a connection that lacks
 * them, it does nothing, and copies carry amqplib's plain re-encoding of the headers.
 */

import { amqplibVersion, isTestedAmqplib } from './amqplib-version.js';

/** A message's header table as received, or the size of one amqplib could not decode. */
export type RawHeaders = Buffer | { readonly undecodableBytes: number };

/**
 * Where the capture keeps a message's table: on amqplib's own properties object, under a symbol. Only
 * tidings sees that object (a `Delivery` copies the properties it hands out, by string keys), and a
 * property on it goes when the message goes, as a `WeakMap` entry would, without the entry's cost for
 * every delivery (an ephemeron the garbage collector visits).
 */
const RAW_HEADERS = Symbol('tidings.rawHeaders');

type Captured = { [RAW_HEADERS]?: RawHeaders };

/** What the capture kept for a message, by its `properties` object. */
export function rawHeadersOf(properties: object): RawHeaders | undefined {
  return (properties as Captured)[RAW_HEADERS];
}

/** amqplib's `Connection`, the parts of it the capture uses. */
interface FrameReader {
  rest: Buffer;
  stream: { read(): Buffer | null };
  maxFrameSize?: number;
  recvSinceLastCheck?: boolean;
  recvFrame(): { fields?: unknown } | false;
}

const FRAME_HEADER = 2;
const FRAME_OVERHEAD = 8; // type (1), channel (2), size (4), frame-end (1)
const BASIC_CLASS = 60;
const PROPERTY_FLAGS_AT = 7 + 12; // after class id, weight and body size
const PROPERTIES_AT = PROPERTY_FLAGS_AT + 2;
const CONTENT_TYPE = 0x8000;
const CONTENT_ENCODING = 0x4000;
const HEADERS = 0x2000;

/**
 * Wraps the frame reader of an amqplib connection (`ChannelModel`), once.
 * @param version the amqplib version that made the connection (the one installed, by default).
 * @returns whether the connection could be wrapped.
 */
export function captureRawHeaders(model: object, version = amqplibVersion()): boolean {
  // A version that keeps the names but reads frames otherwise could have its frames corrupted: quietly
  // left alone.
  if (!isTestedAmqplib(version)) return false;
  const reader = (model as { connection?: Partial<FrameReader> }).connection;
  if (
    reader === undefined ||
    typeof reader.recvFrame !== 'function' ||
    !Buffer.isBuffer(reader.rest) ||
    typeof reader.stream?.read !== 'function'
  ) {
    return false;
  }
  const recvFrame = reader.recvFrame;
  reader.recvFrame = function (this: FrameReader) {
    const length = nextFrameLength(this);
    if (length === undefined) return false;
    const bytes = this.rest;
    const table = length > 0 && bytes[0] === FRAME_HEADER ? headerTable(bytes, length) : undefined;
    if (table === undefined) return recvFrame.call(this);
    let frame: ReturnType<FrameReader['recvFrame']>;
    try {
      frame = recvFrame.call(this);
    } catch (error) {
      // Only a frame amqplib took off the buffer (framing was fine, decoding was not) is read again.
      if (!(error instanceof RangeError) || this.rest === bytes) throw error;
      this.rest = Buffer.concat([withoutHeaders(bytes, length, table), this.rest]);
      frame = recvFrame.call(this);
      if (typeof frame === 'object' && typeof frame.fields === 'object' && frame.fields !== null)
        (frame.fields as Captured)[RAW_HEADERS] = { undecodableBytes: table.end - table.start + 4 };
      return frame;
    }
    if (typeof frame === 'object' && typeof frame.fields === 'object' && frame.fields !== null)
      (frame.fields as Captured)[RAW_HEADERS] = ownCopy(bytes, table.start, table.end);
    return frame;
  };
  return true;
}

/**
 * The bytes in a memory of their own: a view into the socket buffer would keep all of it (every frame
 * read with it, up to the size of a socket read) alive as long as the message or its copies' headers.
 * Not from Buffer's shared pool either, which a small copy would pin too.
 */
function ownCopy(bytes: Buffer, start: number, end: number): Buffer {
  const copy = Buffer.allocUnsafeSlow(end - start);
  bytes.copy(copy, 0, start, end);
  return copy;
}

/**
 * Reads from the socket, as amqplib does, until the buffer holds the next frame whole; its length, or
 * `undefined` when the socket has no more for now, or 0 when amqplib is to refuse the frame (too large).
 */
function nextFrameLength(reader: FrameReader): number | undefined {
  for (;;) {
    const rest = reader.rest;
    if (rest.length >= 7) {
      const size = rest.readUInt32BE(3);
      const max = reader.maxFrameSize ?? 0;
      if (max > 0 && size > max) return 0;
      if (rest.length >= size + FRAME_OVERHEAD) return size + FRAME_OVERHEAD;
    }
    const incoming = reader.stream.read();
    if (incoming === null) return undefined;
    reader.recvSinceLastCheck = true;
    reader.rest = Buffer.concat([rest, incoming]);
  }
}

/** Where the header table of a basic content-header frame lies (without its length), if it has one. */
function headerTable(frame: Buffer, length: number): { start: number; end: number } | undefined {
  const end = length - 1;
  if (end < PROPERTIES_AT || frame.readUInt16BE(7) !== BASIC_CLASS) return undefined;
  const flags = frame.readUInt16BE(PROPERTY_FLAGS_AT);
  if ((flags & HEADERS) === 0) return undefined;
  let offset = PROPERTIES_AT;
  if (flags & CONTENT_TYPE) offset += 1 + frame.readUInt8(offset);
  if (flags & CONTENT_ENCODING) offset += 1 + frame.readUInt8(offset);
  if (offset + 4 > end) return undefined;
  const start = offset + 4;
  const tableEnd = start + frame.readUInt32BE(offset);
  return tableEnd <= end ? { start, end: tableEnd } : undefined;
}

/** The same content-header frame without its headers (flag cleared, table cut out). */
function withoutHeaders(frame: Buffer, length: number, table: { start: number; end: number }): Buffer {
  const cut = table.start - 4;
  const stripped = Buffer.concat([frame.subarray(0, cut), frame.subarray(table.end, length)]);
  stripped.writeUInt32BE(stripped.length - FRAME_OVERHEAD, 3);
  stripped.writeUInt16BE(frame.readUInt16BE(PROPERTY_FLAGS_AT) & ~HEADERS, PROPERTY_FLAGS_AT);
  return stripped;
}
