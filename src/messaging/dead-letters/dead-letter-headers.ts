import { HEADERS, type DeadLetterReason } from '../names.js';

// Bounded so that what tidings adds to a message's headers stays well inside the room the consumer
// keeps for it (see `maxHeaderBytes`): at most 3 bytes per UTF-16 unit, about 10 KB in all.
const MAX_NAME_CHARS = 200;
const MAX_MESSAGE_CHARS = 1000;
const MAX_STACK_CHARS = 2000;

/**
 * Headers neither a repeat nor a dead-letter copy takes over from the original: the broker's death
 * records (dropped) and tidings' own headers that both kinds of copy set afresh, with values of bounded
 * size. Everything else may be carried along.
 */
export const REWRITTEN_HEADERS: ReadonlySet<string> = new Set([
  HEADERS.death,
  'x-first-death-reason',
  'x-first-death-queue',
  'x-first-death-exchange',
  'x-last-death-reason',
  'x-last-death-queue',
  'x-last-death-exchange',
  HEADERS.attempt,
  HEADERS.errorName,
  HEADERS.errorMessage,
  HEADERS.errorStack,
  HEADERS.firstFailureAt,
  HEADERS.lastFailureAt,
  // Taken from the original only when at most 255 bytes long, as an exchange name and a routing key are
  // (identify() in envelope.ts).
  HEADERS.originalExchange,
  HEADERS.originalRoutingKey,
]);

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
  /**
   * Set when the original headers are too large to go along (they are the reason the message is dead-
   * lettered): the copy carries none of them, and this size in `x-tidings-dropped-headers-bytes`.
   */
  droppedHeaderBytes?: number | undefined;
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
  const headers = failure.droppedHeaderBytes === undefined ? withoutBrokerDeathHeaders(original) : {};
  delete headers[HEADERS.attempt];
  const at = failure.now.toISOString();
  return {
    ...headers,
    ...(failure.droppedHeaderBytes === undefined
      ? {}
      : { [HEADERS.droppedHeadersBytes]: failure.droppedHeaderBytes }),
    ...errorHeaders(failure.error, true),
    [HEADERS.deadReason]: failure.reason,
    [HEADERS.attempts]: failure.attempts,
    [HEADERS.firstFailureAt]: firstFailureAt(headers, at),
    [HEADERS.lastFailureAt]: at,
    [HEADERS.originalQueue]: failure.queue,
    [HEADERS.originalExchange]: failure.exchange,
    [HEADERS.originalRoutingKey]: failure.routingKey,
    [HEADERS.consumerApp]: failure.consumerApp,
  };
}

/**
 * Headers of a repeat copy: the attempt count so far, where the message was first published, and the
 * error's name and message. Not its stack: formatting a stack is the costliest part of a repeat, and the
 * next attempt overwrites it; the dead letter, where someone reads it, has it.
 */
export function repeatHeaders(
  original: Record<string, unknown>,
  repeat: { attempt: number; exchange: string; routingKey: string; error: unknown; now: Date },
): Record<string, unknown> {
  const headers = withoutBrokerDeathHeaders(original);
  // A stack an earlier copy carried (an older version's repeat) would sit beside this error's name.
  delete headers[HEADERS.errorStack];
  const at = repeat.now.toISOString();
  return {
    ...headers,
    ...errorHeaders(repeat.error, false),
    [HEADERS.attempt]: repeat.attempt,
    [HEADERS.originalExchange]: repeat.exchange,
    [HEADERS.originalRoutingKey]: repeat.routingKey,
    [HEADERS.firstFailureAt]: firstFailureAt(headers, at),
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

/** The first failure time an earlier copy recorded (a short string), else now. */
function firstFailureAt(headers: Record<string, unknown>, now: string): string {
  const recorded = headers[HEADERS.firstFailureAt];
  return typeof recorded === 'string' && recorded.length <= 64 ? recorded : now;
}

function errorHeaders(error: unknown, withStack: boolean): Record<string, unknown> {
  const name = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : String(error);
  const headers: Record<string, unknown> = {
    [HEADERS.errorName]: truncate(name, MAX_NAME_CHARS),
    [HEADERS.errorMessage]: truncate(message, MAX_MESSAGE_CHARS),
  };
  if (withStack) {
    const stack = error instanceof Error && typeof error.stack === 'string' ? error.stack : '';
    headers[HEADERS.errorStack] = truncate(stack, MAX_STACK_CHARS);
  }
  return headers;
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
