/**
 * Why a repeat counter could not answer:
 * - `'timeout'`: no answer within `timeoutMs` (a slow Redis, or a connection that hangs). The outcome
 *   of an `increment` is **unknown**: Redis may have counted it.
 * - `'disconnected'`: not connected (unreachable, refused, reconnecting), or the connection dropped;
 *   the client reconnects on its own.
 * - `'failed'`: the store answered with an error, or the client rejected the command.
 * - `'closed'`: `close()` was called; the counter takes no new work.
 *
 * @inline
 */
export type RepeatCounterUnavailableReason = 'timeout' | 'disconnected' | 'failed' | 'closed';

/**
 * A repeat counter could not count or forget a delivery. The consumer treats this as "counter
 * unavailable": it falls back to the attempt header and emits a warning, and never crashes or loops.
 *
 * The message and `cause` never contain credentials: connection URLs are redacted and the client's
 * error is copied without the command arguments (which may hold an `AUTH` password).
 */
export class RepeatCounterUnavailableError extends Error {
  override readonly name = 'RepeatCounterUnavailableError';
  readonly code = 'ERR_TIDINGS_REPEAT_COUNTER_UNAVAILABLE' as const;

  constructor(
    message: string,
    /**
     * Why the counter could not answer: `'timeout'` (no answer within `timeoutMs`; the outcome of an
     * `increment` is unknown), `'disconnected'`, `'failed'` (the store or client rejected the command)
     * or `'closed'`.
     */
    readonly reason: RepeatCounterUnavailableReason,
    /** What the consumer asked for. */
    readonly operation: 'increment' | 'forget',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
