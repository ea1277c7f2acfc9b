import { redactUrl } from './redact.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';

/**
 * Rejects option keys the component does not know, naming the key: a misspelt `priorty` must fail
 * loudly rather than silently fall back to the default.
 */
export function assertKnownOptions(
  options: object | undefined,
  known: readonly string[],
  where: string,
): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(`${where}: options must be an object, got ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new InvalidArgumentError(
        `${where}: unknown option "${key}" (known options: ${known.join(', ')})`,
      );
    }
  }
}

/**
 * The keys of an options interface, for `assertKnownOptions`, written as `{ key: true, … }` so that the
 * compiler checks them against the interface both ways: a key the interface does not have is an excess
 * property, a key of the interface left out is a missing one. A list kept in sync by hand drifts, and an
 * option added to the interface but not to the list would then be refused at run time as unknown.
 *
 * @example
 * const OPTION_KEYS = optionKeys<MemoryRepeatCounterOptions>({ ttlMs: true, maxKeys: true });
 * assertKnownOptions(options, OPTION_KEYS, 'MemoryRepeatCounter');
 */
export function optionKeys<Options extends object>(keys: {
  readonly [Key in keyof Required<Options>]: true;
}): readonly (keyof Options & string)[] {
  return Object.freeze(Object.keys(keys)) as readonly (keyof Options & string)[];
}

/** Checks that a value, when given, is a safe integer within [min, max]; returns it or the fallback. */
export function integerOption(
  value: unknown,
  fallback: number,
  name: string,
  min = -Infinity,
  max = Infinity,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    const range =
      max !== Infinity
        ? `an integer from ${min} to ${max}`
        : min === -Infinity
          ? 'an integer'
          : `an integer >= ${min}`;
    throw new InvalidArgumentError(`${name} must be ${range}, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * A short, safe description of any value for an error message. A string is shown with any password it
 * holds as a URL masked: a connection URL passed where an object was expected (`new PgUnitOfWork(url)`,
 * `{ transport: process.env.AMQP_URL }`) must not put its password in the error, or in a boot log.
 */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') {
    const shown = redactUrl(value);
    return JSON.stringify(shown.length > 60 ? shown.slice(0, 57) + '...' : shown);
  }
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'object') {
    const ctor = (value as { constructor?: unknown }).constructor;
    return typeof ctor === 'function' && ctor.name ? `an instance of ${ctor.name}` : 'an object';
  }
  if (typeof value === 'symbol') return value.toString();
  if (typeof value === 'bigint') return `bigint ${value.toString()}n`;
  // String(), not JSON: JSON.stringify(NaN) is "null", which would name the wrong value.
  if (typeof value === 'number') return `number ${String(value)}`;
  return `${typeof value} ${JSON.stringify(value) ?? ''}`;
}
