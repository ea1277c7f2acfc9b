import { setOwn } from '../../internal/set-own.js';
import { HEADERS, type DeadLetterReason } from '../names.js';

// Bounded so that what tidings adds to a message's headers stays well inside the room the consumer
// keeps for it (see `maxHeaderBytes`): at most 3 bytes per UTF-16 unit, about 10 KB in all.
const MAX_NAME_CHARS = 200;
const MAX_MESSAGE_CHARS = 1000;
const MAX_STACK_CHARS = 2000;

/** What the broker writes when it dead-letters a message (a repeat passes a wait queue that does). */
const BROKER_DEATH_HEADERS = [
  HEADERS.death,
  'x-first-death-reason',
  'x-first-death-queue',
  'x-first-death-exchange',
  'x-last-death-reason',
  'x-last-death-queue',
  'x-last-death-exchange',
];

/**
 * Headers neither a repeat nor a dead-letter copy takes over from the original: the broker's death
 * records (dropped) and tidings' own headers that both kinds of copy set afresh, with values of bounded
 * size. Everything else may be carried along.
 */
export const REWRITTEN_HEADERS: ReadonlySet<string> = new Set([
  ...BROKER_DEATH_HEADERS,
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
  const headers =
    failure.droppedHeaderBytes === undefined ? carriedHeaders(original, NOT_ON_A_DEAD_LETTER) : {};
  const at = isoTime(failure.now);
  const firstAt = firstFailureAt(headers, at);
  if (failure.droppedHeaderBytes !== undefined)
    headers[HEADERS.droppedHeadersBytes] = failure.droppedHeaderBytes;
  setErrorHeaders(headers, failure.error, true);
  headers[HEADERS.deadReason] = failure.reason;
  headers[HEADERS.attempts] = failure.attempts;
  headers[HEADERS.firstFailureAt] = firstAt;
  headers[HEADERS.lastFailureAt] = at;
  headers[HEADERS.originalQueue] = failure.queue;
  headers[HEADERS.originalExchange] = failure.exchange;
  headers[HEADERS.originalRoutingKey] = failure.routingKey;
  headers[HEADERS.consumerApp] = failure.consumerApp;
  return headers;
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
  // A stack an earlier copy carried (an older version's repeat) would sit beside this error's name.
  const headers = carriedHeaders(original, NOT_ON_A_REPEAT);
  const at = isoTime(repeat.now);
  const firstAt = firstFailureAt(headers, at);
  setErrorHeaders(headers, repeat.error, false);
  headers[HEADERS.attempt] = repeat.attempt;
  headers[HEADERS.originalExchange] = repeat.exchange;
  headers[HEADERS.originalRoutingKey] = repeat.routingKey;
  headers[HEADERS.firstFailureAt] = firstAt;
  headers[HEADERS.lastFailureAt] = at;
  return headers;
}

/** Headers for a replay from the dead-letter queue: a fresh start, attempts reset. */
export function replayHeaders(deadLetter: Record<string, unknown>): Record<string, unknown> {
  return carriedHeaders(deadLetter, NOT_ON_A_REPLAY);
}

const NOT_ON_A_DEAD_LETTER: ReadonlySet<string> = new Set([...BROKER_DEATH_HEADERS, HEADERS.attempt]);
const NOT_ON_A_REPEAT: ReadonlySet<string> = new Set([...BROKER_DEATH_HEADERS, HEADERS.errorStack]);
const NOT_ON_A_REPLAY: ReadonlySet<string> = new Set([
  ...BROKER_DEATH_HEADERS,
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
]);

/**
 * A new object with the original's own headers but the `left` ones, in their order. The copy then gets
 * tidings' headers by plain assignment, which keeps a header the original had in its place, as a
 * spread would: built this way rather than spread and `delete`d, because a `delete` turns the object
 * into a slow dictionary that amqplib then walks to encode it (on every repeat of every message).
 */
function carriedHeaders(
  original: Record<string, unknown>,
  left: ReadonlySet<string>,
): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(original)) {
    if (left.has(key)) continue;
    setOwn(copy, key, original[key]);
  }
  return copy;
}

/** The first failure time an earlier copy recorded (a short string), else now. */
function firstFailureAt(headers: Record<string, unknown>, now: string): string {
  const recorded = headers[HEADERS.firstFailureAt];
  return typeof recorded === 'string' && recorded.length <= 64 ? recorded : now;
}

function setErrorHeaders(headers: Record<string, unknown>, error: unknown, withStack: boolean): void {
  const name = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : String(error);
  headers[HEADERS.errorName] = truncate(name, MAX_NAME_CHARS);
  headers[HEADERS.errorMessage] = truncate(message, MAX_MESSAGE_CHARS);
  if (withStack) {
    const stack = error instanceof Error && typeof error.stack === 'string' ? error.stack : '';
    headers[HEADERS.errorStack] = truncate(stack, MAX_STACK_CHARS);
  }
}

let lastTime = Number.NaN;
let lastIso = '';

/**
 * `date.toISOString()`, remembered for the last millisecond asked: every copy made within the same
 * millisecond (hundreds a second when a handler fails under load) shares the string.
 */
function isoTime(date: Date): string {
  const time = date.getTime();
  if (time !== lastTime) {
    lastIso = date.toISOString();
    lastTime = time;
  }
  return lastIso;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
