import { TransactionStateError } from '../errors/transaction-state-error.js';

/**
 * Whether the caller runs inside a transaction of `unitOfWork`, for the units of work that can tell
 * (every adapter of tidings has an `inTransaction` getter; one that has none is taken to be outside).
 */
export function inCallerTransaction(unitOfWork: object): boolean {
  return (unitOfWork as { inTransaction?: unknown }).inTransaction === true;
}

/**
 * The refusal of a component that must commit by itself (the dead-letter archive: it acks a message
 * once its row is committed): inside the caller's transaction its "commit" would only be a savepoint,
 * and the caller's rollback would undo a row whose message is already gone from the queue.
 */
export function callerTransactionError(where: string): TransactionStateError {
  return new TransactionStateError(
    `${where}: called inside a transaction of its unit of work, where its own transactions would only be ` +
      'savepoints of yours (a row it acks a message for could then be rolled back); call it outside any transaction',
  );
}
