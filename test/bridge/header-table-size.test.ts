import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { headerTableBytes, MAX_HEADER_TABLE_BYTES } from '../../src/messaging/header-table-size.js';

// amqplib's own field-table encoder (not exported by the package): the sizes must be the ones it writes.
const require = createRequire(import.meta.url);
const codec = require(join(dirname(require.resolve('amqplib')), 'lib', 'codec.js')) as {
  encodeTable(buffer: Buffer, table: object, offset: number): number;
};

function amqplibBytes(table: object): number {
  return codec.encodeTable(Buffer.alloc(1 << 20), table, 0);
}

describe('headerTableBytes', () => {
  it('is the size amqplib encodes, value type by value type', () => {
    const tables: Record<string, unknown>[] = [
      {},
      { s: 'text', empty: '', unicode: 'ключ → значение €' },
      { small: 1, negative: -1, byte: 127, short: 200, int: -40_000, long: 2 ** 40, huge: 2 ** 60 },
      { fraction: 1.5, tiny: -0.25, big: 2 ** 64 },
      { yes: true, no: false, nothing: null, skipped: undefined },
      { list: [1, 'two', [3.5, null], { four: 4 }], table: { nested: { deeper: 'x' } } },
      {
        bytes: Buffer.from('abc'),
        at: { '!': 'timestamp', value: 1_700_000_000 },
        f: { '!': 'float', value: 1 },
      },
      { 'x-death': [{ count: 1, reason: 'expired', queue: 'q', time: { '!': 'timestamp', value: 1 } }] },
    ];
    for (const table of tables)
      expect(headerTableBytes(table), JSON.stringify(table)).toBe(amqplibBytes(table));
  });

  it('draws the line where amqplib does: 64 KiB, length prefix included', () => {
    const fits = { blob: 'x'.repeat(MAX_HEADER_TABLE_BYTES - 14) };
    const tooBig = { blob: 'x'.repeat(MAX_HEADER_TABLE_BYTES - 13) };
    expect(headerTableBytes(fits)).toBe(MAX_HEADER_TABLE_BYTES);
    expect(headerTableBytes(tooBig)).toBe(MAX_HEADER_TABLE_BYTES + 1);
    const scratch = Buffer.alloc(MAX_HEADER_TABLE_BYTES);
    expect(() => codec.encodeTable(scratch, fits, 0)).not.toThrow();
    expect(() => codec.encodeTable(scratch, tooBig, 0)).toThrow(RangeError);
  });

  it('leaves out the keys it is told to, and refuses a cycle instead of overflowing the stack', () => {
    expect(headerTableBytes({ a: 'x', b: 'y'.repeat(100) }, new Set(['b']))).toBe(
      headerTableBytes({ a: 'x' }),
    );
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(() => headerTableBytes(cyclic)).toThrow(/nested too deeply/);
  });
});
