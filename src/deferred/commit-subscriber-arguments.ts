import type { AfterCommitError } from '../errors/after-commit-error.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { assertKnownOptions, describeValue } from '../internal/options.js';

/**
 * Checks what an ORM's commit subscriber (TypeORM's `RecordedEventsSubscriber`, MikroORM's
 * `FlushEventsSubscriber`) is constructed with: a Flusher with the external-commit halves
 * (`writeBeforeCommit`, `dispatchAfterCommit`) and a hook to see its own writes, and options of which
 * `onAfterCommitError`, when given, is a function. Throws an `InvalidArgumentError` naming `where`.
 */
export function assertCommitSubscriberArguments(
  flusher: unknown,
  options: { onAfterCommitError?: (error: AfterCommitError) => void },
  optionKeys: readonly string[],
  where: string,
  expected: string,
): void {
  const candidate = flusher as Partial<Record<string, unknown>> | null | undefined;
  if (
    typeof candidate?.['writeBeforeCommit'] !== 'function' ||
    typeof candidate['dispatchAfterCommit'] !== 'function' ||
    typeof candidate['addBeforeCommitHook'] !== 'function'
  ) {
    throw new InvalidArgumentError(`${where}: expected ${expected}, got ${describeValue(flusher)}`);
  }
  assertKnownOptions(options, optionKeys, where);
  if (options.onAfterCommitError !== undefined && typeof options.onAfterCommitError !== 'function') {
    throw new InvalidArgumentError(
      `${where}: "onAfterCommitError" must be a function, got ${describeValue(options.onAfterCommitError)}`,
    );
  }
}
