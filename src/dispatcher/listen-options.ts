import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { assertKnownOptions, describeValue, integerOption, optionKeys } from '../internal/options.js';
import { describeKey } from './event-key.js';
import type { EventKey, ListenOptions } from './event-types.js';
import { listenerName } from './registration.js';

/** The options of one registration, checked, with their defaults applied. */
export interface ResolvedListenOptions {
  readonly priority: number;
  readonly once: boolean;
  readonly signal: AbortSignal | undefined;
}

const OPTION_KEYS = optionKeys<ListenOptions>({ priority: true, once: true, signal: true });

/**
 * Checks the options given to a registration on `key` (an `InvalidArgumentError` naming the option) and
 * applies the defaults: priority 0, not once, no signal. `name` is the listener's display name (else the
 * function's own), for the error of a bad priority. A registration without options does not call it.
 */
export function resolveListenOptions(
  key: EventKey,
  options: ListenOptions,
  name: string | undefined,
  listener: unknown,
): ResolvedListenOptions {
  name ??= listenerName(listener);
  const where = `on(${describeKey(key)})`;
  assertKnownOptions(options, OPTION_KEYS, where);
  const priority =
    options.priority === undefined ? 0 : integerOption(options.priority, 0, `${where}: priority of ${name}`);
  const signal = options.signal;
  if (signal !== undefined && !isAbortSignal(signal)) {
    throw new InvalidArgumentError(`${where}: signal must be an AbortSignal, got ${describeValue(signal)}`);
  }
  return { priority, once: options.once === true, signal };
}

/** Structural rather than `instanceof`: a signal from another realm or a polyfill passes too. */
function isAbortSignal(value: unknown): value is AbortSignal {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AbortSignal).addEventListener === 'function' &&
    typeof (value as AbortSignal).aborted === 'boolean'
  );
}
