import type { ConsumedMessage, MessageHandler } from '../consumer/consumer.js';
import type { UnitOfWork } from '../../deferred/unit-of-work.js';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import type { Inbox } from './inbox.js';

export interface IdempotentOptions<Tx> {
  inbox: Inbox<Tx>;
  unitOfWork: UnitOfWork<Tx>;
  /** Names this consumer in the inbox (two consumers of one message each process it once). */
  consumer: string;
}

/**
 * Wraps a handler so each message id is processed once per consumer: the handler runs in a transaction
 * that also records the id in the inbox; a duplicate delivery finds the record and is acked without
 * running the handler. A handler that throws rolls the record back, so the repeat runs it again.
 *
 * @example
 * await consumer.consume(
 *   idempotent({ inbox, unitOfWork, consumer: 'billing' }, async ({ payload }, tx) => {
 *     await tx.query('INSERT INTO invoices …', [payload]);
 *   }),
 * );
 */
export function idempotent<Tx, P = unknown>(
  options: IdempotentOptions<Tx>,
  handler: (message: ConsumedMessage<P>, tx: Tx) => unknown,
): MessageHandler<P> {
  if (typeof options?.consumer !== 'string' || options.consumer === '') {
    throw new InvalidArgumentError('idempotent: "consumer" must name the consumer');
  }
  if (typeof handler !== 'function')
    throw new InvalidArgumentError('idempotent: the handler must be a function');
  return (message) =>
    options.unitOfWork.transaction(async (tx) => {
      if (!(await options.inbox.record(options.consumer, message.messageId, tx))) return;
      await handler(message, tx);
    });
}
