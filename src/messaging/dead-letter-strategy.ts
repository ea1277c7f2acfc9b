import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { describeValue } from '../internal/options.js';

export type DeadLetterStrategy = 'at-most-once' | 'at-least-once';

/**
 * Checks a queue's `deadLetterStrategy` the same way for every transport: `'at-least-once'` exists for
 * quorum queues only (RabbitMQ ignores it on a classic queue, which would promise what it does not do).
 * @returns the strategy, `'at-most-once'` when not given.
 */
export function assertDeadLetterStrategy(
  queue: unknown,
  queueType: unknown,
  strategy: unknown,
): DeadLetterStrategy {
  if (strategy === undefined || strategy === 'at-most-once') return 'at-most-once';
  if (strategy !== 'at-least-once') {
    throw new InvalidArgumentError(
      `declare: deadLetterStrategy of queue "${String(queue)}" must be 'at-most-once' or 'at-least-once', ` +
        `got ${describeValue(strategy)}`,
    );
  }
  if (queueType !== 'quorum') {
    throw new InvalidArgumentError(
      `declare: deadLetterStrategy 'at-least-once' of queue "${String(queue)}" needs queueType 'quorum'`,
    );
  }
  return strategy;
}
