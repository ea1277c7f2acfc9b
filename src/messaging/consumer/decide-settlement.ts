import { InvalidContentError } from '../../errors/invalid-content-error.js';
import { NonRetryableError } from '../../errors/non-retryable-error.js';
import type { DeadLetterReason } from '../names.js';

/**
 * What became of the handler for this delivery: not run yet, returned, or threw `error`.
 */
export type HandlerResult =
  | { readonly ran: false }
  | { readonly ran: true; readonly threw: false }
  | { readonly ran: true; readonly threw: true; readonly error: unknown };

/** Everything the settle rule looks at; nothing else (no clock, no I/O). */
export interface SettlementInput {
  /** The broker's redelivered flag: an earlier delivery of this message ended unsettled. */
  readonly redelivered: boolean;
  /** Deliveries to a handler before this one, as counted in the `x-tidings-attempt` header. */
  readonly headerAttempt: number;
  /** The repeat counter's count, this delivery included; `undefined` when it did not answer. */
  readonly counted: number | undefined;
  readonly maxAttempts: number;
  readonly repeatDelaysMs: readonly number[];
  /** Why the delivery is bad input (refused before the handler), if it is. */
  readonly refusal: Error | undefined;
  readonly handler: HandlerResult;
}

/**
 * What to do with a delivery. `handle`: run the handler on this attempt (then decide again with its
 * result). `ack`, `repeat` (copy to this queue after `delayMs`, then ack) and `dead-letter` settle it.
 */
export type Settlement =
  | { readonly kind: 'handle'; readonly attempt: number }
  | { readonly kind: 'ack'; readonly attempt: number }
  | {
      readonly kind: 'repeat';
      readonly attempt: number;
      readonly delayMs: number;
      readonly error: unknown;
    }
  | {
      readonly kind: 'dead-letter';
      readonly attempt: number;
      readonly reason: DeadLetterReason;
      readonly error: unknown;
    };

/**
 * The settle rule (docs/repeats.md), a pure function: the rows are tried in order.
 *
 * 1. Bad input: dead-lettered (`invalid-content`) at once, never repeated, not even once.
 * 2. Redelivered, and the counter cannot tell how often (no answer, or not above the header's count):
 *    re-sent at once with the count in its header (dead-lettered `repeats-exhausted` on the last
 *    attempt), so crash loops stay bounded.
 * 3. Counted more than `maxAttempts` (earlier deliveries ended unsettled, a crash loop): dead-lettered
 *    `repeats-exhausted` with the handler's `attempt - 1` runs, without running it again.
 * 4. Otherwise the handler runs (`handle`); then it returned: `ack`; it threw an `InvalidContentError`:
 *    `invalid-content`; a `NonRetryableError` (or its code): `non-retryable`; anything else on the last
 *    attempt: `repeats-exhausted`; before it: `repeat` after the attempt's delay.
 *
 * The attempt is the larger of the header's count plus one and the counter's.
 *
 * Not to be confused with `SettleDecisions` (settle-decisions.ts), which remembers the copies of
 * outcomes already decided until their message comes back.
 */
export function decideSettlement(input: SettlementInput): Settlement {
  const { redelivered, headerAttempt, counted, maxAttempts, refusal, handler } = input;
  const attempt = Math.max(headerAttempt + 1, counted ?? 0);
  // Before the crash accounting: the handler never runs for bad input, so it cannot have crashed a process.
  if (refusal !== undefined) {
    return { kind: 'dead-letter', attempt, reason: 'invalid-content', error: refusal };
  }
  if (redelivered && (counted === undefined || counted <= headerAttempt + 1)) {
    const recount = headerAttempt + 1;
    const cutOff = new Error(
      'The previous delivery ended without being settled (consumer crash or disconnect)',
    );
    if (recount >= maxAttempts) {
      return { kind: 'dead-letter', attempt: recount, reason: 'repeats-exhausted', error: cutOff };
    }
    return { kind: 'repeat', attempt: recount, delayMs: 0, error: cutOff };
  }
  if (attempt > maxAttempts) {
    const runs = attempt - 1;
    const error = new Error(
      `Delivered ${runs} times without being settled (did the handler crash its process?)`,
    );
    return { kind: 'dead-letter', attempt: runs, reason: 'repeats-exhausted', error };
  }
  if (!handler.ran) return { kind: 'handle', attempt };
  if (!handler.threw) return { kind: 'ack', attempt };
  const { error } = handler;
  if (error instanceof InvalidContentError) {
    return { kind: 'dead-letter', attempt, reason: 'invalid-content', error };
  }
  if (isNonRetryable(error)) return { kind: 'dead-letter', attempt, reason: 'non-retryable', error };
  if (attempt >= maxAttempts) {
    return { kind: 'dead-letter', attempt, reason: 'repeats-exhausted', error };
  }
  return { kind: 'repeat', attempt, delayMs: repeatDelayMs(input.repeatDelaysMs, attempt), error };
}

/** The delay before the repeat after `attempt`: the last delay applies to later repeats; none repeats at once. */
export function repeatDelayMs(delays: readonly number[], attempt: number): number {
  if (delays.length === 0) return 0;
  return delays[Math.min(attempt - 1, delays.length - 1)]!;
}

function isNonRetryable(error: unknown): boolean {
  return (
    error instanceof NonRetryableError ||
    (typeof error === 'object' &&
      error !== null &&
      (error as { code?: unknown }).code === 'ERR_TIDINGS_NON_RETRYABLE')
  );
}
