/**
 * The transaction **was committed**, but dispatching its events afterwards failed. Do not retry the
 * write: it is durable. `undispatched` holds the released events that no listener saw because the
 * dispatch stopped, so the caller can log or re-dispatch them; `cause` is the listener's error.
 */
export class AfterCommitError extends Error {
  override readonly name: string = 'AfterCommitError';
  readonly code: string = 'ERR_TIDINGS_AFTER_COMMIT';
  /** Always `true`: the reason this error exists is to say so. */
  readonly committed = true as const;

  constructor(
    message: string,
    readonly undispatched: readonly object[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
