import { ConnectionBlockedError } from '../../errors/connection-blocked-error.js';
import { PublishTimeoutError } from '../../errors/publish-timeout-error.js';

/**
 * Settles like `publish`, except that a publish that timed out while the broker blocked the connection (a
 * memory or disk alarm) rejects with a `ConnectionBlockedError` (`sent: true`, outcome unknown) that says
 * so, rather than with a bare `PublishTimeoutError`. `blockedBy` gives the broker's reason while the
 * connection is blocked, `undefined` otherwise.
 */
export function nameTheBlock(publish: Promise<void>, blockedBy: () => string | undefined): Promise<void> {
  return publish.catch((error: unknown) => {
    throw blockedError(error, blockedBy);
  });
}

/** `error`, or the `ConnectionBlockedError` it means when it is a timeout while the broker blocks. */
export function blockedError(error: unknown, blockedBy: () => string | undefined): unknown {
  const reason = blockedBy();
  if (reason === undefined || !(error instanceof PublishTimeoutError)) return error;
  return new ConnectionBlockedError(reason, error.messageId, error.timeoutMs, true, { cause: error });
}
