import { HEADERS, type DeadLetterReason } from '../names.js';

const MAX_MESSAGE_CHARS = 1000;
const MAX_STACK_CHARS = 2000;

/** What the consumer knows when it gives up on a message. */
export interface FailureInfo {
  reason: DeadLetterReason;
  error: unknown;
  attempts: number;
  queue: string;
  exchange: string;
  routingKey: string;
  consumerApp: string;
  now: Date;
}

/**
 * The headers of a copy the library dead-letters itself: the reason, the error (name, message and a
 * truncated stack), attempts, first and last failure time, where the message came from, and who gave
 * up on it. The broker's own `x-death` is dropped: the reason header says it better.
 */
export function deadLetterHeaders(
  original: Record<string, unknown>,
  failure: FailureInfo,
): Record<string, unknown> {
  const headers = withoutBrokerDeathHeaders(original);
  delete headers[HEADERS.attempt];
  const at = failure.now.toISOString();
  return {
    ...headers,
    ...errorHeaders(failure.error),
    [HEADERS.deadReason]: failure.reason,
    [HEADERS.attempts]: failure.attempts,
    [HEADERS.firstFailureAt]:
      typeof headers[HEADERS.firstFailureAt] === 'string' ? headers[HEADERS.firstFailureAt] : at,
    [HEADERS.lastFailureAt]: at,
    [HEADERS.originalQueue]: failure.queue,
    [HEADERS.originalExchange]: failure.exchange,
    [HEADERS.originalRoutingKey]: failure.routingKey,
    [HEADERS.consumerApp]: failure.consumerApp,
  };
}

/** Headers of a repeat copy: the attempt count so far and where the message was first published. */
export function repeatHeaders(
  original: Record<string, unknown>,
  repeat: { attempt: number; exchange: string; routingKey: string; error: unknown; now: Date },
): Record<string, unknown> {
  const headers = withoutBrokerDeathHeaders(original);
  const at = repeat.now.toISOString();
  return {
    ...headers,
    ...errorHeaders(repeat.error),
    [HEADERS.attempt]: repeat.attempt,
    [HEADERS.originalExchange]: repeat.exchange,
    [HEADERS.originalRoutingKey]: repeat.routingKey,
    [HEADERS.firstFailureAt]:
      typeof headers[HEADERS.firstFailureAt] === 'string' ? headers[HEADERS.firstFailureAt] : at,
    [HEADERS.lastFailureAt]: at,
  };
}

/** Headers for a replay from the dead-letter queue: a fresh start, attempts reset. */
export function replayHeaders(deadLetter: Record<string, unknown>): Record<string, unknown> {
  const headers = withoutBrokerDeathHeaders(deadLetter);
  for (const name of [
    HEADERS.attempt,
    HEADERS.deadReason,
    HEADERS.errorName,
    HEADERS.errorMessage,
    HEADERS.errorStack,
    HEADERS.attempts,
    HEADERS.firstFailureAt,
    HEADERS.lastFailureAt,
    HEADERS.originalQueue,
    HEADERS.consumerApp,
  ]) {
    delete headers[name];
  }
  return headers;
}

function errorHeaders(error: unknown): Record<string, unknown> {
  const name = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : String(error);
  const stack = error instanceof Error && typeof error.stack === 'string' ? error.stack : '';
  return {
    [HEADERS.errorName]: name,
    [HEADERS.errorMessage]: truncate(message, MAX_MESSAGE_CHARS),
    [HEADERS.errorStack]: truncate(stack, MAX_STACK_CHARS),
  };
}

function withoutBrokerDeathHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...headers };
  delete copy[HEADERS.death];
  delete copy['x-first-death-reason'];
  delete copy['x-first-death-queue'];
  delete copy['x-first-death-exchange'];
  delete copy['x-last-death-reason'];
  delete copy['x-last-death-queue'];
  delete copy['x-last-death-exchange'];
  return copy;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
