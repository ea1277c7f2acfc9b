import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { assertKnownOptions, describeValue, optionKeys } from '../internal/options.js';

/**
 * Every name tidings puts on the broker and in Redis, built in one place: header names, the common
 * dead-letter exchange and queue, the wait queues of repeats, repeat-counter keys.
 */

/** Headers tidings writes and reads. All start with `x-tidings-`, except the broker's own `x-death`. */
export const HEADERS = {
  /** How many times this message has been delivered to a handler before (0 on the first delivery). */
  attempt: 'x-tidings-attempt',
  /** The app id of the service whose dispatcher published the event; marks bridged events (no loops). */
  origin: 'x-tidings-origin',
  /** Why the message was dead-lettered: one of `DeadLetterReason`. */
  deadReason: 'x-tidings-dead-reason',
  errorName: 'x-tidings-error-name',
  errorMessage: 'x-tidings-error-message',
  errorStack: 'x-tidings-error-stack',
  attempts: 'x-tidings-attempts',
  firstFailureAt: 'x-tidings-first-failure-at',
  lastFailureAt: 'x-tidings-last-failure-at',
  originalQueue: 'x-tidings-original-queue',
  originalExchange: 'x-tidings-original-exchange',
  originalRoutingKey: 'x-tidings-original-routing-key',
  consumerApp: 'x-tidings-consumer-app',
  /** On a dead letter whose own headers were too large to keep: their encoded size, in bytes. */
  droppedHeadersBytes: 'x-tidings-dropped-headers-bytes',
  /**
   * How many times the message was replayed from the dead letters. Part of its repeat-counter key, so
   * that a count the counter could not be told to forget (Redis was down when the message was
   * dead-lettered) does not carry over into the replay and dead-letter it again unhandled.
   */
  replays: 'x-tidings-replays',
  /** Set by the broker when it dead-letters (expired, rejected, maxlen, delivery-limit). */
  death: 'x-death',
} as const;

/** Why a message ended in the dead-letter queue. */
export type DeadLetterReason =
  | 'repeats-exhausted'
  | 'non-retryable'
  | 'invalid-content'
  | 'expired'
  | 'rejected'
  | 'maxlen'
  | 'delivery-limit';

/** Names of the common dead-letter exchange and queue of one application. */
export interface DeadLetterNames {
  exchange: string;
  queue: string;
}

const DEAD_LETTER_NAME_KEYS = optionKeys<DeadLetterNames>({ exchange: true, queue: true });

/** Documented defaults: exchange `<appId>.dead-letter` (fanout) and queue `<appId>.dead-letters`. */
export function defaultDeadLetterNames(appId: string): DeadLetterNames {
  if (typeof appId !== 'string' || appId === '') {
    throw new InvalidArgumentError(`appId must be a non-empty string, got ${describeValue(appId)}`);
  }
  return { exchange: `${appId}.dead-letter`, queue: `${appId}.dead-letters` };
}

/**
 * The dead-letter names of `appId` with the `deadLetter` option applied, checked: known keys only, each
 * a non-empty string (a typo such as `exchnage` would otherwise fall back to the default silently).
 */
export function resolveDeadLetterNames(
  appId: string,
  given: Partial<DeadLetterNames> | undefined,
  where: string,
): DeadLetterNames {
  const names = defaultDeadLetterNames(appId);
  if (given === undefined) return names;
  assertKnownOptions(given, DEAD_LETTER_NAME_KEYS, `${where}: deadLetter`);
  for (const key of DEAD_LETTER_NAME_KEYS) {
    const value: unknown = given[key];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value === '') {
      throw new InvalidArgumentError(
        `${where}: deadLetter.${key} must be a non-empty string, got ${describeValue(value)}`,
      );
    }
    names[key] = value;
  }
  return names;
}

/** The wait queue where repeats of `queue` sit for `delayMs` before they dead-letter back to it. */
export function waitQueueName(queue: string, delayMs: number): string {
  return `${queue}.wait.${delayMs}ms`;
}

/**
 * The Redis key counting deliveries of one message on one queue. The queue part is percent-encoded,
 * so it holds no `:` and `a:b` + `c` can never meet `a` + `b:c`.
 */
export function repeatCounterKey(prefix: string, queue: string, messageId: string): string {
  return `${prefix}${encodedQueue(queue)}:${messageId}`;
}

/** Queue names percent-encoded so far: a consumer asks for the same few on every delivery. */
const encodedQueues = new Map<string, string>();

function encodedQueue(queue: string): string {
  let encoded = encodedQueues.get(queue);
  if (encoded === undefined) {
    encoded = encodeURIComponent(queue);
    // Bounded: a process that makes up queue names (tests, tools) must not grow it forever.
    if (encodedQueues.size >= 1024) encodedQueues.clear();
    encodedQueues.set(queue, encoded);
  }
  return encoded;
}

/** @defaultValue of the repeat counter key prefix. */
export const DEFAULT_REPEAT_KEY_PREFIX = 'tidings:attempts:';
