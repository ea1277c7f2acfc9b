// optionKeys: the key list a component checks unknown options against is checked by the compiler
// against the options interface, both ways.
import { describe, expectTypeOf, test } from 'vitest';
import { optionKeys } from '../../src/internal/options.js';

interface WidgetOptions {
  size: number;
  colour?: string;
}

describe('optionKeys', () => {
  test('lists every key of the interface', () => {
    expectTypeOf(optionKeys<WidgetOptions>({ size: true, colour: true })).toEqualTypeOf<
      readonly ('size' | 'colour')[]
    >();
  });

  test('refuses a list that leaves a key of the interface out', () => {
    // @ts-expect-error colour is missing: an option added to the interface must be added to the list
    optionKeys<WidgetOptions>({ size: true });
  });

  test('refuses a key the interface does not have', () => {
    // @ts-expect-error weight is not an option of WidgetOptions
    optionKeys<WidgetOptions>({ size: true, colour: true, weight: true });
  });
});
