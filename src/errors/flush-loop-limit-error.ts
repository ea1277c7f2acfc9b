import { AfterCommitError } from './after-commit-error.js';

/**
 * Listeners kept recording new events after commit for more rounds than `maxRounds` allows: most
 * likely a listener records an event that leads back to itself. The transaction was committed (this is
 * an `AfterCommitError`); the events of the round that was not dispatched are in `undispatched`.
 */
export class FlushLoopLimitError extends AfterCommitError {
  override readonly name = 'FlushLoopLimitError';
  override readonly code = 'ERR_TIDINGS_FLUSH_LOOP_LIMIT';

  constructor(
    readonly maxRounds: number,
    undispatched: readonly object[],
  ) {
    super(
      `The transaction was committed, but listeners were still recording events after ${maxRounds} ` +
        `dispatch rounds (a listener probably records an event that triggers itself); ` +
        `${undispatched.length} event(s) were not dispatched`,
      undispatched,
    );
  }
}
