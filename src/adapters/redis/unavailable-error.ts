import {
  RepeatCounterUnavailableError,
  type RepeatCounterUnavailableReason,
} from '../../errors/repeat-counter-unavailable-error.js';
import { redact } from '../../internal/redact.js';
import { sanitizeError } from '../../internal/safe-error.js';
import { Disconnected } from './client-readiness.js';
import type { RedisEndpoint } from './redis-endpoint.js';

/** The calls of a repeat counter that reach Redis. */
export type CounterOperation = 'increment' | 'forget';

/**
 * The error of a call that could not be done, saying which call, on which key and endpoint, and why.
 * Neither its message nor its `cause` holds a password: the endpoint is shown without credentials and
 * the client's error is copied without the command arguments (those of a failed `AUTH` hold one).
 */
export function unavailableError(
  endpoint: RedisEndpoint,
  operation: CounterOperation,
  key: string,
  reason: RepeatCounterUnavailableReason,
  what: string,
  cause?: unknown,
): RepeatCounterUnavailableError {
  const secrets = endpoint.secrets;
  const safeCause = cause === undefined ? undefined : sanitizeError(cause, secrets);
  const detail = safeCause === undefined ? '' : ` (${safeCause.message})`;
  const message = redact(
    `RedisRepeatCounter cannot ${operation} ${JSON.stringify(key)} on ${endpoint.display}: ${what}${detail}`,
    secrets,
  );
  return new RepeatCounterUnavailableError(
    message,
    reason,
    operation,
    safeCause === undefined ? undefined : { cause: safeCause },
  );
}

/** What a failed call knows when it fails: where it went, its deadline, whether it was sent. */
export interface FailedCall {
  readonly endpoint: RedisEndpoint;
  readonly operation: CounterOperation;
  readonly key: string;
  readonly timeoutMs: number;
  /** Whether the command went to Redis (else it failed waiting for a connection). */
  readonly sent: boolean;
  /** Whether the counter has been closed. */
  readonly closed: boolean;
}

/** Turns whatever a call rejected with into the `RepeatCounterUnavailableError` callers expect. */
export function toUnavailableError(error: unknown, call: FailedCall): RepeatCounterUnavailableError {
  if (error instanceof RepeatCounterUnavailableError) return error;
  const { endpoint, operation, key, closed } = call;
  if (error instanceof Disconnected) {
    const what = closed ? 'it was closed' : `not connected (client ${error.status})`;
    return unavailableError(endpoint, operation, key, closed ? 'closed' : 'disconnected', what, error.cause);
  }
  const reason = !call.sent ? 'disconnected' : classify(error);
  const what = { timeout: `no answer within ${call.timeoutMs} ms`, disconnected: 'not connected' };
  return unavailableError(
    endpoint,
    operation,
    key,
    reason,
    reason === 'failed' ? 'Redis failed' : what[reason],
    error,
  );
}

/**
 * Sorts a rejection of ioredis: its own timeout, a connection that dropped or was not writable (the
 * status had not caught up yet), or an error Redis answered with.
 */
function classify(error: unknown): 'timeout' | 'disconnected' | 'failed' {
  if (!(error instanceof Error)) return 'failed';
  if (error.message === 'Command timed out') return 'timeout';
  if (
    error.name === 'MaxRetriesPerRequestError' ||
    error.message.startsWith("Stream isn't writeable") ||
    error.message.startsWith('Connection is closed')
  ) {
    return 'disconnected';
  }
  return 'failed';
}
