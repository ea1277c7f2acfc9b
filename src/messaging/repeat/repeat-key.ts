import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { describeValue } from '../../internal/options.js';
import { repeatCounterKey } from '../names.js';

/**
 * How long a counted message is remembered after its last delivery, unless it is forgotten first:
 * 24 hours, far longer than any repeat delay, so a message is never "new" again while it is repeated,
 * yet a message whose `forget` was lost (crash, counter outage) cannot keep a key forever.
 */
export const DEFAULT_REPEAT_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * The counter key of one message on one queue, after checking both parts: an empty or non-string
 * message id would make every id-less message share one counter and dead-letter each other.
 */
export function repeatKey(prefix: string, queue: unknown, messageId: unknown, where: string): string {
  if (typeof queue !== 'string' || queue === '') {
    throw new InvalidArgumentError(`${where}: queue must be a non-empty string, got ${describeValue(queue)}`);
  }
  if (typeof messageId !== 'string' || messageId === '') {
    throw new InvalidArgumentError(
      `${where}: messageId must be a non-empty string, got ${describeValue(messageId)}`,
    );
  }
  return repeatCounterKey(prefix, queue, messageId);
}
