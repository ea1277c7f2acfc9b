// The reason of a DTO's dead letter: class-validator's error tree as one line, a dotted path per failed
// constraint, what fails as a whole (forbidUnknownValues) named by its parent's path or alone.
import { describe, expect, it } from 'vitest';
import { describeValidationErrors } from '../../src/adapters/nestjs/describe-validation-errors.js';

describe('describeValidationErrors', () => {
  it('lists each failed constraint by its dotted path', () => {
    expect(
      describeValidationErrors([
        { property: 'orderId', constraints: { isString: 'orderId must be a string' } },
        {
          property: 'total',
          constraints: { isNumber: 'total must be a number', min: 'total must not be less than 0' },
        },
        {
          property: 'lines',
          children: [
            {
              property: '1',
              children: [{ property: 'sku', constraints: { isString: 'sku must be a string' } }],
            },
          ],
        },
      ]),
    ).toBe(
      'orderId: orderId must be a string; total: total must be a number; total: total must not be less than 0; lines.1.sku: sku must be a string',
    );
  });

  it('names a value that fails as a whole by where it is', () => {
    const unknown = { constraints: { unknownValue: 'an unknown value was passed to the validate function' } };
    expect(describeValidationErrors([unknown])).toBe('an unknown value was passed to the validate function');
    expect(
      describeValidationErrors([{ property: 'lines', children: [{ property: '0', children: [unknown] }] }]),
    ).toBe('lines.0: an unknown value was passed to the validate function');
  });
});
