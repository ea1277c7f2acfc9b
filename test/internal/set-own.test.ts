import { createContext, runInContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { setOwn } from '../../src/internal/set-own.js';

describe('setOwn', () => {
  it('makes every key an own, enumerable, writable property, __proto__ and toString included', () => {
    const target: Record<string, unknown> = {};
    setOwn(target, 'x-tenant', 't-1');
    setOwn(target, '__proto__', { polluted: true });
    setOwn(target, 'toString', 'a header');
    setOwn(target, 'x-tenant', 't-2');
    expect(Object.getPrototypeOf(target)).toBe(Object.prototype);
    expect(Object.keys(target)).toStrictEqual(['x-tenant', '__proto__', 'toString']);
    expect(Object.getOwnPropertyDescriptor(target, '__proto__')).toStrictEqual({
      value: { polluted: true },
      enumerable: true,
      writable: true,
      configurable: true,
    });
    expect(target['toString']).toBe('a header');
    expect(target['x-tenant']).toBe('t-2');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('shadows a name of Object.prototype also when the intrinsics are frozen', () => {
    const target = runInContext('Object.freeze(Object.prototype); ({})', createContext({})) as Record<
      string,
      unknown
    >;
    // What an assignment does there (the "override mistake"): refused.
    expect(() => (target['valueOf'] = 1)).toThrow(TypeError);
    setOwn(target, 'valueOf', 1);
    setOwn(target, 'constructor', 'a header');
    expect(Object.keys(target)).toStrictEqual(['valueOf', 'constructor']);
    expect(target['constructor']).toBe('a header');
  });
});
