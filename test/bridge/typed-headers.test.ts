import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { outgoingHeaders } from '../../src/adapters/rabbitmq/amqp-headers.js';
import { decodeTypedTable } from '../../src/adapters/rabbitmq/field-table.js';
import { amqplibVersion, isTestedAmqplib } from '../../src/adapters/rabbitmq/amqplib-version.js';
import { captureRawHeaders, rawHeadersOf } from '../../src/adapters/rabbitmq/raw-header-capture.js';
import { fromArchiveJson, toArchiveJson } from '../../src/messaging/dead-letters/archive-json.js';
import { headerTableBytes } from '../../src/messaging/header-table-size.js';
import { MAX_HEADER_DEPTH, plainHeaders } from '../../src/messaging/typed-headers.js';
import {
  be,
  EVERY_TYPE as RABBITMQ_TYPES,
  field,
  long,
  NON_FINITE,
  table,
  u8,
} from './field-table-samples.js';

const EVERY_TYPE = [...RABBITMQ_TYPES, ...NON_FINITE];

// amqplib's own codec and connection (not exported by the package): typed headers must be what its
// encoder writes back byte for byte, and the capture must work on its real frame reader.
const require = createRequire(import.meta.url);
const lib = join(dirname(require.resolve('amqplib')), 'lib');
const codec = require(join(lib, 'codec.js')) as {
  encodeTable(buffer: Buffer, table: object, offset: number): number;
  decodeFields(slice: Buffer): Record<string, unknown>;
};
const { Connection } = require(join(lib, 'connection.js')) as {
  Connection: new (stream: PassThrough) => {
    recvFrame(): { fields?: Record<string, unknown> } | false;
    rest: Buffer;
  };
};

/** What amqplib writes for a table, without the 4-byte length. */
function amqplibEncode(table: object): Buffer {
  const buffer = Buffer.alloc(1 << 20);
  const size = codec.encodeTable(buffer, table, 0);
  return Buffer.from(buffer.subarray(4, size));
}

describe('typed headers', () => {
  it('re-encode through amqplib byte for byte, for every field type', () => {
    const raw = table(EVERY_TYPE);
    const typed = decodeTypedTable(raw);
    expect(amqplibEncode(typed).equals(raw)).toBe(true);
    for (const [key, value] of EVERY_TYPE) {
      expect(amqplibEncode({ [key]: typed[key] }).equals(table([[key, value]])), key).toBe(true);
    }
  });

  it('read __proto__ and constructor as own headers, leaving the prototype alone', () => {
    const raw = table([
      ['__proto__', field('F', long(table([['polluted', field('t', u8(1))]])))],
      ['constructor', field('S', long(Buffer.from('x')))],
      ['after', field('b', u8(7))],
    ]);
    const typed = decodeTypedTable(raw);
    expect(Object.getPrototypeOf(typed)).toBe(Object.prototype);
    expect(Object.keys(typed)).toStrictEqual(['__proto__', 'constructor', 'after']);
    expect(Object.getOwnPropertyDescriptor(typed, '__proto__')?.value).toStrictEqual({ polluted: true });
    expect(typed['constructor']).toBe('x');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(amqplibEncode(typed).equals(raw)).toBe(true);
  });

  it('stay plain where amqplib would guess the type anyway', () => {
    const typed = decodeTypedTable(table(EVERY_TYPE));
    expect(typed['bool']).toBe(true);
    expect(typed['int8']).toBe(-5);
    expect(typed['int16']).toBe(-300);
    expect(typed['int32']).toBe(-70_000);
    expect(typed['int64-mid']).toBe(2 ** 40);
    expect(typed['double']).toBe(0.1);
    expect(typed['string']).toBe('héllo €');
    expect(typed['bytes']).toEqual(Buffer.from([0, 255, 16]));
    expect(typed['void']).toBeNull();
    expect(typed['uint16']).toEqual({ '!': 'uint16', value: 60_000 });
    expect(typed['int16-small']).toEqual({ '!': 'int16', value: 3 });
    expect(typed['int64']).toEqual({ '!': 'int64', value: 2n ** 62n + 1n });
    expect(typed['double-whole']).toEqual({ '!': 'double', value: 2 });
    expect(typed['timestamp']).toEqual({ '!': 'timestamp', value: 1_700_000_000 });
  });

  it('read as plain headers the way a handler sees amqplib’s decoding, timestamps as Dates', () => {
    const raw = table(EVERY_TYPE.filter(([key]) => key !== 'bang'));
    const plain = plainHeaders(decodeTypedTable(raw));
    const amqplib = codec.decodeFields(raw);
    expect(plain['timestamp']).toEqual(new Date(1_700_000_000_000));
    expect((plain['table'] as Record<string, unknown>)['at']).toEqual(new Date(5000));
    const { timestamp: _t, table: _table, ...rest } = plain;
    const { timestamp: _at, table: _amqplibTable, ...amqplibRest } = amqplib;
    expect(rest).toEqual(amqplibRest);
    expect(plain['uint16']).toBe(60_000);
    expect(plain['decimal']).toEqual({ '!': 'decimal', value: { places: 2, digits: 12_345 } });
  });

  it('survive the archive’s JSON and come back byte for byte', () => {
    const raw = table(EVERY_TYPE);
    const stored = JSON.parse(JSON.stringify(toArchiveJson(decodeTypedTable(raw)))) as unknown;
    const back = fromArchiveJson(stored) as Record<string, unknown>;
    expect(amqplibEncode(back).equals(raw)).toBe(true);
  });

  it(`allow ${MAX_HEADER_DEPTH} levels of nesting, as headerTableBytes does, and refuse more`, () => {
    const nested = (depth: number): Buffer => {
      let inner: Buffer = Buffer.alloc(0);
      for (let level = 0; level < depth; level++) inner = table([['a', field('F', long(inner))]]);
      return inner;
    };
    const fits = nested(MAX_HEADER_DEPTH);
    expect(() => decodeTypedTable(fits)).not.toThrow();
    expect(() => headerTableBytes(codec.decodeFields(fits))).not.toThrow();
    const tooDeep = nested(MAX_HEADER_DEPTH + 1);
    expect(() => decodeTypedTable(tooDeep)).toThrow(/nested more than 64 deep/);
    expect(() => headerTableBytes(codec.decodeFields(tooDeep))).toThrow(/nested too deeply/);
  });
});

describe('outgoingHeaders', () => {
  it('sends a Date as an AMQP timestamp in whole seconds, and leaves headers without one as they are', () => {
    const plain = { a: 'x', n: 1, list: [1, { b: Buffer.from('y') }], typed: { '!': 'uint16', value: 3 } };
    expect(outgoingHeaders(plain)).toBe(plain);
    const at = new Date(1_700_000_000_900);
    const sent = outgoingHeaders({ at, list: [{ at }], keep: 'x' });
    expect(sent).toEqual({
      at: { '!': 'timestamp', value: 1_700_000_000 },
      list: [{ at: { '!': 'timestamp', value: 1_700_000_000 } }],
      keep: 'x',
    });
    expect(codec.decodeFields(amqplibEncode(sent))['at']).toEqual({ '!': 'timestamp', value: 1_700_000_000 });
  });

  it(`refuses headers nested more than ${MAX_HEADER_DEPTH} deep, as the memory transport does`, () => {
    let deep: Record<string, unknown> = {};
    for (let level = 0; level <= MAX_HEADER_DEPTH; level++) deep = { a: deep };
    expect(() => outgoingHeaders(deep)).toThrow(/nested more than 64 deep/);
    const cycle: Record<string, unknown> = {};
    cycle['self'] = cycle;
    expect(() => outgoingHeaders(cycle)).toThrow(/nested more than 64 deep/);
  });
});

describe('captureRawHeaders', () => {
  /** A content-header frame on channel 1 with the given properties (flags and encoded fields). */
  function headerFrame(headers: Buffer | undefined, contentType?: string): Buffer {
    let flags = 0;
    const fields: Buffer[] = [];
    if (contentType !== undefined) {
      flags |= 0x8000;
      fields.push(u8(contentType.length), Buffer.from(contentType));
    }
    if (headers !== undefined) {
      flags |= 0x2000;
      fields.push(long(headers));
    }
    const payload = Buffer.concat([
      be(12, (b) => {
        b.writeUInt16BE(60, 0);
        b.writeBigUInt64BE(0n, 4);
      }),
      be(2, (b) => b.writeUInt16BE(flags)),
      ...fields,
    ]);
    return Buffer.concat([
      u8(2),
      be(2, (b) => b.writeUInt16BE(1)),
      be(4, (b) => b.writeUInt32BE(payload.length)),
      payload,
      u8(0xce),
    ]);
  }

  function connection() {
    const stream = new PassThrough();
    const conn = new Connection(stream);
    expect(captureRawHeaders({ connection: conn })).toBe(true);
    return { stream, conn };
  }

  it('keeps the header table of each content header, also when a frame arrives in pieces', () => {
    const { stream, conn } = connection();
    const raw = table(EVERY_TYPE);
    const frame = headerFrame(raw, 'application/json');
    stream.write(frame.subarray(0, 5));
    expect(conn.recvFrame()).toBe(false);
    stream.write(frame.subarray(5, 40));
    expect(conn.recvFrame()).toBe(false);
    stream.write(Buffer.concat([frame.subarray(40), headerFrame(undefined)]));
    const first = conn.recvFrame() as { fields: Record<string, unknown> };
    expect(first.fields['contentType']).toBe('application/json');
    expect((rawHeadersOf(first.fields) as Buffer).equals(raw)).toBe(true);
    const second = conn.recvFrame() as { fields: Record<string, unknown> };
    expect(rawHeadersOf(second.fields)).toBeUndefined();
    expect(conn.recvFrame()).toBe(false);
  });

  it('decodes a frame whose headers overflow amqplib’s decoder without them, marked undecodable', () => {
    const { stream, conn } = connection();
    let deep: Buffer = Buffer.alloc(0);
    const lengths = [0];
    for (let level = 1; level < 15_000; level++) lengths.push(7 + lengths[level - 1]!);
    const parts: Buffer[] = [];
    for (let level = 14_999; level > 0; level--)
      parts.push(
        Buffer.concat([
          Buffer.from([1]),
          Buffer.from('aF'),
          be(4, (b) => b.writeUInt32BE(lengths[level - 1]!)),
        ]),
      );
    deep = Buffer.concat(parts);
    stream.write(
      Buffer.concat([headerFrame(deep, 'text/plain'), headerFrame(table([['ok', field('t', u8(1))]]))]),
    );
    const first = conn.recvFrame() as { fields: Record<string, unknown> };
    expect(first.fields['contentType']).toBe('text/plain');
    expect(first.fields['headers']).toBeUndefined();
    expect(rawHeadersOf(first.fields)).toEqual({ undecodableBytes: deep.length + 4 });
    const second = conn.recvFrame() as { fields: Record<string, unknown> };
    expect(second.fields['headers']).toEqual({ ok: true });
  });

  it('keeps each table in memory of its own, not a view that pins the whole socket read', () => {
    const { stream, conn } = connection();
    const raw = table(EVERY_TYPE);
    // One socket read holding many frames: the kept table must not hold on to all of it.
    stream.write(Buffer.concat(Array.from({ length: 50 }, () => headerFrame(raw, 'application/json'))));
    const frame = conn.recvFrame() as { fields: Record<string, unknown> };
    const kept = rawHeadersOf(frame.fields) as Buffer;
    expect(kept.equals(raw)).toBe(true);
    expect(kept.buffer.byteLength).toBe(kept.length);
  });

  it('is installed only with the amqplib versions it was tested against', () => {
    expect(amqplibVersion()).toBe(
      (
        JSON.parse(readFileSync(join(dirname(require.resolve('amqplib')), 'package.json'), 'utf8')) as {
          version: string;
        }
      ).version,
    );
    for (const version of ['2.3.0', '2.3.1', '2.3.17']) {
      expect(captureRawHeaders({ connection: new Connection(new PassThrough()) }, version)).toBe(true);
    }
    for (const version of ['2.4.0', '2.2.9', '3.0.0', '2.3.2-beta.1']) {
      const conn = new Connection(new PassThrough());
      const recvFrame = conn.recvFrame;
      expect(captureRawHeaders({ connection: conn }, version)).toBe(false);
      expect(conn.recvFrame).toBe(recvFrame); // left alone
    }
    expect(isTestedAmqplib(undefined)).toBe(false); // amqplib's package.json could not be read
    expect(isTestedAmqplib(amqplibVersion())).toBe(true); // the version this repository pins
  });
});
