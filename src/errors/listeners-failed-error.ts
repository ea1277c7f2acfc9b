/** One listener that threw during a dispatch run with `errorPolicy: 'collect'`. */
export interface ListenerFailure {
  /** The listener's display name, e.g. `Mailer.onOrderPlaced` or the function's name. */
  readonly listener: string;
  readonly priority: number;
  readonly error: unknown;
}

/**
 * With `errorPolicy: 'collect'` every listener runs even when some throw; afterwards the dispatch fails
 * with this one error. `errors` holds the thrown values in call order, `failures` says who threw them.
 */
export class ListenersFailedError extends AggregateError {
  override readonly name = 'ListenersFailedError';
  readonly code = 'ERR_TIDINGS_LISTENERS_FAILED' as const;

  constructor(
    readonly eventName: string,
    readonly failures: readonly ListenerFailure[],
  ) {
    super(
      failures.map((failure) => failure.error),
      `${failures.length} listener(s) of ${eventName} failed: ` +
        failures.map((failure) => `${failure.listener} (${describe(failure.error)})`).join('; '),
    );
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
