/**
 * A transaction was used in a way its state does not allow, or ended differently than its callback
 * believes. Each case is a bug in the calling code, named in the message:
 * - a nested `transaction()` was started after the transaction it is nested in had ended (a callback
 *   that escaped it, e.g. an un-awaited promise or a timer);
 * - two nested transactions ran at the same time on one connection (`Promise.all` of savepoints), or a
 *   callback resolved while a nested transaction it started was still running (a missing `await`);
 * - a statement failed inside the transaction and its error was caught, so the database had already
 *   aborted the transaction: PostgreSQL answers `COMMIT` with a rollback. Nothing was committed;
 * - `flusher.transaction()` over a `TransactionHostUnitOfWork` (tidings/nestjs) was called inside a
 *   transaction the host runs for someone else (a `@Transactional()` method): refused before it began.
 *
 * In every case the transaction (or savepoint) was rolled back, or never began; `cause` holds the database's error
 * when there is one.
 */
export class TransactionStateError extends Error {
  override readonly name = 'TransactionStateError';
  readonly code = 'ERR_TIDINGS_TRANSACTION_STATE' as const;
}
