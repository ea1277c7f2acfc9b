// AMQP field values written byte by byte, as a client other than amqplib writes them: every field type
// RabbitMQ knows, several at values amqplib's guess of a type would change. Shared by the typed-headers
// unit test and the header-fidelity integration test (fed by python3-pika).

/** One field value as another client writes it: the tag, then the payload. */
export function field(tag: string, payload: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([Buffer.from(tag, 'latin1'), payload]);
}
export const u8 = (n: number) => Buffer.from([n]);
export const be = (size: number, write: (b: Buffer) => void) => {
  const b = Buffer.alloc(size);
  write(b);
  return b;
};
export const long = (bytes: Buffer) => Buffer.concat([be(4, (b) => b.writeUInt32BE(bytes.length)), bytes]);
export function table(entries: [string, Buffer][]): Buffer {
  return Buffer.concat(
    entries.flatMap(([key, value]) => [u8(Buffer.byteLength(key)), Buffer.from(key), value]),
  );
}

/** Every field type RabbitMQ knows, several at values amqplib's guess would change. */
export const EVERY_TYPE: [string, Buffer][] = [
  ['bool', field('t', u8(1))],
  [
    'int8',
    field(
      'b',
      be(1, (b) => b.writeInt8(-5)),
    ),
  ],
  ['uint8', field('B', u8(200))],
  ['uint8-small', field('B', u8(7))],
  [
    'int16',
    field(
      's',
      be(2, (b) => b.writeInt16BE(-300)),
    ),
  ],
  [
    'int16-small',
    field(
      's',
      be(2, (b) => b.writeInt16BE(3)),
    ),
  ],
  [
    'uint16',
    field(
      'u',
      be(2, (b) => b.writeUInt16BE(60_000)),
    ),
  ],
  [
    'int32',
    field(
      'I',
      be(4, (b) => b.writeInt32BE(-70_000)),
    ),
  ],
  [
    'int32-small',
    field(
      'I',
      be(4, (b) => b.writeInt32BE(1)),
    ),
  ],
  [
    'uint32',
    field(
      'i',
      be(4, (b) => b.writeUInt32BE(4_000_000_000)),
    ),
  ],
  [
    'int64',
    field(
      'l',
      be(8, (b) => b.writeBigInt64BE(2n ** 62n + 1n)),
    ),
  ],
  [
    'int64-small',
    field(
      'l',
      be(8, (b) => b.writeBigInt64BE(-5n)),
    ),
  ],
  [
    'int64-mid',
    field(
      'l',
      be(8, (b) => b.writeBigInt64BE(2n ** 40n)),
    ),
  ],
  [
    'float',
    field(
      'f',
      be(4, (b) => b.writeFloatBE(1.5)),
    ),
  ],
  [
    'float-whole',
    field(
      'f',
      be(4, (b) => b.writeFloatBE(2)),
    ),
  ],
  [
    'double',
    field(
      'd',
      be(8, (b) => b.writeDoubleBE(0.1)),
    ),
  ],
  [
    'double-whole',
    field(
      'd',
      be(8, (b) => b.writeDoubleBE(2)),
    ),
  ],
  [
    'double-minus-zero',
    field(
      'd',
      be(8, (b) => b.writeDoubleBE(-0)),
    ),
  ],
  ['decimal', field('D', Buffer.concat([u8(2), be(4, (b) => b.writeUInt32BE(12_345))]))],
  ['string', field('S', long(Buffer.from('héllo €')))],
  ['bytes', field('x', long(Buffer.from([0, 255, 16])))],
  [
    'timestamp',
    field(
      'T',
      be(8, (b) => b.writeBigUInt64BE(1_700_000_000n)),
    ),
  ],
  ['void', field('V')],
  [
    'array',
    field(
      'A',
      long(
        Buffer.concat([
          field(
            'u',
            be(2, (b) => b.writeUInt16BE(1)),
          ),
          field('S', long(Buffer.from('two'))),
          field('V'),
        ]),
      ),
    ),
  ],
  [
    'table',
    field(
      'F',
      long(
        table([
          [
            'at',
            field(
              'T',
              be(8, (b) => b.writeBigUInt64BE(5n)),
            ),
          ],
          [
            'f',
            field(
              'f',
              be(4, (b) => b.writeFloatBE(0.5)),
            ),
          ],
        ]),
      ),
    ),
  ],
  [
    'bang',
    field(
      'F',
      long(
        table([
          ['!', field('S', long(Buffer.from('timestamp')))],
          ['value', field('b', u8(1))],
        ]),
      ),
    ),
  ],
];

/**
 * Doubles RabbitMQ refuses (it closes the connection with 541 INTERNAL_ERROR): typed headers still keep
 * them for other brokers and the memory transport.
 */
export const NON_FINITE: [string, Buffer][] = [
  [
    'double-nan',
    field(
      'd',
      be(8, (b) => b.writeDoubleBE(Number.NaN)),
    ),
  ],
  [
    'double-minus-infinity',
    field(
      'd',
      be(8, (b) => b.writeDoubleBE(-Infinity)),
    ),
  ],
];
