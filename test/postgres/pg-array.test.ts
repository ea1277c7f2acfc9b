// The array literals PgOutbox binds (pg-array.ts): every element quoted, so that commas, braces, spaces
// and the word NULL stay data; backslashes and quotes escaped, whether or not an element has them.
import { describe, expect, it } from 'vitest';
import { pgArray, pgByteaArray } from '../../src/adapters/postgres/pg-array.js';

describe('pgArray', () => {
  it('quotes plain elements as they are, numbers included, and writes NULL for null', () => {
    expect(pgArray(['0190c5d2-7b1e-7000-8000-000000000001', 42, null, ''])).toBe(
      '{"0190c5d2-7b1e-7000-8000-000000000001","42",NULL,""}',
    );
  });

  it('keeps separators and the word NULL as data', () => {
    expect(pgArray(['a,b', '{c}', ' d ', 'NULL'])).toBe('{"a,b","{c}"," d ","NULL"}');
  });

  it('escapes backslashes and quotes, alone or together', () => {
    expect(pgArray(['say "hi"', 'C:\\tmp', '\\"', '{"a":"b\\n"}'])).toBe(
      '{"say \\"hi\\"","C:\\\\tmp","\\\\\\"","{\\"a\\":\\"b\\\\n\\"}"}',
    );
  });

  it('writes bytea elements in the hex input format, its backslash escaped', () => {
    expect(pgByteaArray([Buffer.from('hi'), new Uint8Array([0, 255])])).toBe('{"\\\\x6869","\\\\x00ff"}');
  });
});
