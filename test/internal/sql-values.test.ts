import { describe, expect, it } from 'vitest';
import { mysql2DriverResult, pgDriverResult } from '../../src/internal/driver-result.js';
import { binaryValue, dateValue, integerValue, jsonValue } from '../../src/internal/sql-values.js';

describe('sql-values: what a column may come back as, made one type', () => {
  it('binaryValue: a Buffer as is, a Uint8Array as a Buffer over the same bytes', () => {
    const buffer = Buffer.from([0, 255]);
    expect(binaryValue(buffer)).toBe(buffer);
    const bytes = new Uint8Array([9, 0, 255, 9]).subarray(1, 3);
    expect(binaryValue(bytes)).toEqual(Buffer.from([0, 255]));
    expect(() => binaryValue('00ff')).toThrow(TypeError);
  });

  it('dateValue: a Date, ISO text, PostgreSQL text with "+00", MySQL text without a zone (UTC)', () => {
    const at = new Date('2026-01-02T03:04:05.678Z');
    expect(dateValue(at)).toBe(at);
    expect(dateValue('2026-01-02T03:04:05.678Z')).toEqual(at);
    expect(dateValue('2026-01-02 05:04:05.678+02')).toEqual(at);
    expect(dateValue('2026-01-02 03:04:05.678')).toEqual(at);
    expect(() => dateValue('yesterday')).toThrow(TypeError);
    expect(() => dateValue(1)).toThrow(TypeError);
  });

  it('integerValue: a number, a bigint or text, within 2^53', () => {
    expect([integerValue(2), integerValue(2n), integerValue('2')]).toEqual([2, 2, 2]);
    expect(() => integerValue(2n ** 53n + 1n)).toThrow(TypeError);
    expect(() => integerValue('1.5')).toThrow(TypeError);
  });

  it('jsonValue: parses text, keeps what the driver parsed', () => {
    expect(jsonValue('{"a":1}')).toEqual({ a: 1 });
    expect(jsonValue({ a: 1 })).toEqual({ a: 1 });
  });
});

describe('driver-result', () => {
  it('reads a pg Result and a postgres.js row list', () => {
    expect(pgDriverResult({ rows: [], rowCount: 3, command: 'UPDATE' })).toEqual({ rows: [], rowCount: 3 });
    expect(pgDriverResult({ rows: [{ a: 1 }], rowCount: null })).toEqual({ rows: [{ a: 1 }], rowCount: 1 });
    expect(pgDriverResult(Object.assign([{ a: 1 }], { count: 1 }))).toEqual({
      rows: [{ a: 1 }],
      rowCount: 1,
    });
  });

  it('reads mysql2 tuples: rows and fields, or a header', () => {
    expect(mysql2DriverResult([[{ a: 1 }, { a: 2 }], [{ name: 'a' }]])).toEqual({
      rows: [{ a: 1 }, { a: 2 }],
      rowCount: 2,
    });
    expect(mysql2DriverResult([{ affectedRows: 2, insertId: 0 }, undefined])).toEqual({
      rows: [],
      rowCount: 2,
    });
    expect(mysql2DriverResult({ affectedRows: 1 })).toEqual({ rows: [], rowCount: 1 });
  });
});
