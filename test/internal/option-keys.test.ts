import { describe, expect, it } from 'vitest';
import { assertKnownOptions, optionKeys } from '../../src/internal/options.js';

interface WidgetOptions {
  size: number;
  colour?: string;
}

describe('optionKeys', () => {
  const keys = optionKeys<WidgetOptions>({ size: true, colour: true });

  it('gives the keys in the order written, frozen', () => {
    expect(keys).toEqual(['size', 'colour']);
    expect(Object.isFrozen(keys)).toBe(true);
  });

  it('is what assertKnownOptions checks against, naming the unknown key', () => {
    expect(() => assertKnownOptions({ size: 1, colour: 'red' }, keys, 'Widget')).not.toThrow();
    expect(() => assertKnownOptions({ size: 1, color: 'red' }, keys, 'Widget')).toThrow(
      'Widget: unknown option "color" (known options: size, colour)',
    );
  });
});
