import { TransactionStateError } from '../errors/transaction-state-error.js';

/** A nested `transaction()` called after the transaction it was started in had ended. */
export function parentEndedError(): TransactionStateError {
  return new TransactionStateError(
    'transaction: the transaction this call is nested in has already ended (was a promise inside ' +
      'it left un-awaited, or a timer or callback started from it?)',
  );
}

/** A second nested `transaction()` started while one is running at the same level. */
export function parentBusyError(): TransactionStateError {
  return new TransactionStateError(
    'transaction: another nested transaction is still running on this connection; savepoints ' +
      'nest but cannot run side by side, so await each nested transaction before starting the next',
  );
}

/** A callback that resolved while a nested transaction it started was still running. */
export function childStillRunningError(): TransactionStateError {
  return new TransactionStateError(
    'transaction: the callback resolved while a nested transaction it started was still running ' +
      '(missing await?); the transaction was rolled back',
  );
}
