import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { describeValue } from '../../internal/options.js';
import { repeatCounterKey } from '../names.js';

/**
 * The counter key of one message on one queue, after checking both parts: an empty or non-string
 * message id would make every id-less message share one counter and dead-letter each other.
 */
export function repeatKey(prefix: string, queue: unknown, messageId: unknown, where: string): string {
  assertRepeatKeyParts(queue, messageId, where);
  return repeatCounterKey(prefix, queue as string, messageId as string);
}

/** The checks of `repeatKey`, for a counter that keys by queue and message id without building a key. */
export function assertRepeatKeyParts(queue: unknown, messageId: unknown, where: string): void {
  if (typeof queue !== 'string' || queue === '') {
    throw new InvalidArgumentError(`${where}: queue must be a non-empty string, got ${describeValue(queue)}`);
  }
  if (typeof messageId !== 'string' || messageId === '') {
    throw new InvalidArgumentError(
      `${where}: messageId must be a non-empty string, got ${describeValue(messageId)}`,
    );
  }
}
