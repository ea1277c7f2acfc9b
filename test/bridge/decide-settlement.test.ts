// The settle rule as a table: every row of decideSettlement (docs/repeats.md), one case each. The
// subscriber asks it twice per delivery: before the handler (`handler: { ran: false }`, which may answer
// `handle`) and after it, with what the handler did.
import { describe, expect, it } from 'vitest';
import {
  decideSettlement,
  repeatDelayMs,
  type HandlerResult,
  type SettlementInput,
} from '../../src/messaging/consumer/decide-settlement.js';
import { InvalidContentError } from '../../src/errors/invalid-content-error.js';
import { NonRetryableError } from '../../src/errors/non-retryable-error.js';

const NOT_RUN: HandlerResult = { ran: false };
const RETURNED: HandlerResult = { ran: true, threw: false };
const threw = (error: unknown): HandlerResult => ({ ran: true, threw: true, error });

const refused = new InvalidContentError('The message has no id');
const invalid = new InvalidContentError('schema says no');
const nonRetryable = new NonRetryableError('customer does not exist');
const nonRetryableByCode = { code: 'ERR_TIDINGS_NON_RETRYABLE', message: 'from another copy of tidings' };
const failure = new Error('database down');
const CUT_OFF = 'The previous delivery ended without being settled (consumer crash or disconnect)';

/** A first delivery, counted once, with the default limits; each row changes what it is about. */
function input(changes: Partial<SettlementInput>): SettlementInput {
  return {
    redelivered: false,
    headerAttempt: 0,
    counted: 1,
    maxAttempts: 5,
    repeatDelaysMs: [1000, 10_000, 60_000],
    refusal: undefined,
    handler: NOT_RUN,
    ...changes,
  };
}

/** A settlement with an error created by the rule itself: compared by its message. */
function withMessage(settlement: Record<string, unknown>, message: string) {
  return { ...settlement, error: expect.objectContaining({ message }) as unknown };
}

const rows: [string, SettlementInput, unknown][] = [
  // 1. Bad input: dead-lettered at once, before any crash accounting.
  [
    'bad input on a first delivery: invalid-content',
    input({ refusal: refused }),
    { kind: 'dead-letter', attempt: 1, reason: 'invalid-content', error: refused },
  ],
  [
    'bad input redelivered with the counter unavailable: invalid-content, not re-sent to count it',
    input({ refusal: refused, redelivered: true, counted: undefined, headerAttempt: 2 }),
    { kind: 'dead-letter', attempt: 3, reason: 'invalid-content', error: refused },
  ],
  [
    'bad input counted beyond maxAttempts: invalid-content, not repeats-exhausted',
    input({ refusal: refused, counted: 9 }),
    { kind: 'dead-letter', attempt: 9, reason: 'invalid-content', error: refused },
  ],
  [
    'bad input on the last attempt: invalid-content',
    input({ refusal: refused, headerAttempt: 4, counted: 5 }),
    { kind: 'dead-letter', attempt: 5, reason: 'invalid-content', error: refused },
  ],
  // 2. Redelivered and the counter cannot tell how often: re-sent at once to count in the header.
  [
    'redelivered, counter unavailable: repeated at once with the header count',
    input({ redelivered: true, counted: undefined }),
    withMessage({ kind: 'repeat', attempt: 1, delayMs: 0 }, CUT_OFF),
  ],
  [
    'redelivered, counter at the header count plus one: repeated at once',
    input({ redelivered: true, headerAttempt: 2, counted: 3 }),
    withMessage({ kind: 'repeat', attempt: 3, delayMs: 0 }, CUT_OFF),
  ],
  [
    'redelivered, counter below the header count (it forgot): repeated at once',
    input({ redelivered: true, headerAttempt: 2, counted: 1 }),
    withMessage({ kind: 'repeat', attempt: 3, delayMs: 0 }, CUT_OFF),
  ],
  [
    'redelivered, counter unavailable, on the last attempt: repeats-exhausted',
    input({ redelivered: true, headerAttempt: 4, counted: undefined }),
    withMessage({ kind: 'dead-letter', attempt: 5, reason: 'repeats-exhausted' }, CUT_OFF),
  ],
  [
    'redelivered, counter unavailable, beyond the last attempt: repeats-exhausted',
    input({ redelivered: true, headerAttempt: 7, counted: undefined }),
    withMessage({ kind: 'dead-letter', attempt: 8, reason: 'repeats-exhausted' }, CUT_OFF),
  ],
  [
    'redelivered with maxAttempts 1: repeats-exhausted rather than re-sent',
    input({ redelivered: true, counted: undefined, maxAttempts: 1 }),
    withMessage({ kind: 'dead-letter', attempt: 1, reason: 'repeats-exhausted' }, CUT_OFF),
  ],
  // 3. Counted beyond maxAttempts: a crash loop; dead-lettered with the handler's runs.
  [
    'counted beyond maxAttempts: repeats-exhausted after attempt - 1 runs',
    input({ counted: 6 }),
    withMessage(
      { kind: 'dead-letter', attempt: 5, reason: 'repeats-exhausted' },
      'Delivered 5 times without being settled (did the handler crash its process?)',
    ),
  ],
  [
    'redelivered and counted beyond the header and maxAttempts: repeats-exhausted',
    input({ redelivered: true, headerAttempt: 1, counted: 9 }),
    withMessage(
      { kind: 'dead-letter', attempt: 8, reason: 'repeats-exhausted' },
      'Delivered 8 times without being settled (did the handler crash its process?)',
    ),
  ],
  [
    'header count beyond maxAttempts, counter unavailable: repeats-exhausted',
    input({ headerAttempt: 5, counted: undefined }),
    withMessage(
      { kind: 'dead-letter', attempt: 5, reason: 'repeats-exhausted' },
      'Delivered 5 times without being settled (did the handler crash its process?)',
    ),
  ],
  // 4. Otherwise the handler runs, on the larger of the two counts.
  ['a first delivery: handled on attempt 1', input({}), { kind: 'handle', attempt: 1 }],
  [
    'counter unavailable, not redelivered: handled on the header count plus one',
    input({ headerAttempt: 2, counted: undefined }),
    { kind: 'handle', attempt: 3 },
  ],
  [
    'redelivered, counter above the header count: handled on the counter count',
    input({ redelivered: true, headerAttempt: 0, counted: 2 }),
    { kind: 'handle', attempt: 2 },
  ],
  [
    'counter behind the header (not redelivered): handled on the header count plus one',
    input({ headerAttempt: 3, counted: 1 }),
    { kind: 'handle', attempt: 4 },
  ],
  [
    'counted exactly maxAttempts: handled, the last attempt',
    input({ headerAttempt: 4, counted: 5 }),
    { kind: 'handle', attempt: 5 },
  ],
  // ... and what it did settles the message.
  ['handler returned: ack', input({ handler: RETURNED }), { kind: 'ack', attempt: 1 }],
  [
    'handler returned on the last attempt: ack',
    input({ handler: RETURNED, headerAttempt: 4, counted: 5 }),
    { kind: 'ack', attempt: 5 },
  ],
  [
    'handler threw InvalidContentError: invalid-content',
    input({ handler: threw(invalid) }),
    { kind: 'dead-letter', attempt: 1, reason: 'invalid-content', error: invalid },
  ],
  [
    'handler threw NonRetryableError: non-retryable',
    input({ handler: threw(nonRetryable) }),
    { kind: 'dead-letter', attempt: 1, reason: 'non-retryable', error: nonRetryable },
  ],
  [
    'handler threw an object with the non-retryable code: non-retryable',
    input({ handler: threw(nonRetryableByCode) }),
    { kind: 'dead-letter', attempt: 1, reason: 'non-retryable', error: nonRetryableByCode },
  ],
  [
    'handler threw NonRetryableError on the last attempt: non-retryable, not repeats-exhausted',
    input({ handler: threw(nonRetryable), headerAttempt: 4, counted: 5 }),
    { kind: 'dead-letter', attempt: 5, reason: 'non-retryable', error: nonRetryable },
  ],
  [
    'handler threw InvalidContentError on the last attempt: invalid-content',
    input({ handler: threw(invalid), headerAttempt: 4, counted: 5 }),
    { kind: 'dead-letter', attempt: 5, reason: 'invalid-content', error: invalid },
  ],
  [
    'handler threw on the last attempt: repeats-exhausted',
    input({ handler: threw(failure), headerAttempt: 4, counted: 5 }),
    { kind: 'dead-letter', attempt: 5, reason: 'repeats-exhausted', error: failure },
  ],
  [
    'handler threw with maxAttempts 1: repeats-exhausted',
    input({ handler: threw(failure), maxAttempts: 1 }),
    { kind: 'dead-letter', attempt: 1, reason: 'repeats-exhausted', error: failure },
  ],
  [
    'handler threw on attempt 1: repeated after the first delay',
    input({ handler: threw(failure) }),
    { kind: 'repeat', attempt: 1, delayMs: 1000, error: failure },
  ],
  [
    'handler threw on attempt 2: repeated after the second delay',
    input({ handler: threw(failure), headerAttempt: 1, counted: 2 }),
    { kind: 'repeat', attempt: 2, delayMs: 10_000, error: failure },
  ],
  [
    'handler threw on attempt 4: repeated after the last delay, which applies to later repeats',
    input({ handler: threw(failure), headerAttempt: 3, counted: 4 }),
    { kind: 'repeat', attempt: 4, delayMs: 60_000, error: failure },
  ],
  [
    'handler threw, no delays: repeated at once',
    input({ handler: threw(failure), repeatDelaysMs: [] }),
    { kind: 'repeat', attempt: 1, delayMs: 0, error: failure },
  ],
  [
    'handler threw undefined: repeated, with that error',
    input({ handler: threw(undefined) }),
    { kind: 'repeat', attempt: 1, delayMs: 1000, error: undefined },
  ],
  [
    'handler threw an error with another code: repeated',
    input({ handler: threw(Object.assign(new Error('x'), { code: 'ECONNRESET' })) }),
    { kind: 'repeat', attempt: 1, delayMs: 1000, error: expect.objectContaining({ code: 'ECONNRESET' }) },
  ],
];

describe('decideSettlement', () => {
  it.each(rows)('%s', (_, given, expected) => {
    expect(decideSettlement(given)).toEqual(expected);
  });

  it('is pure: the same input gives the same settlement and is not changed', () => {
    const given = input({ handler: threw(failure), headerAttempt: 1, counted: 2 });
    const copy = structuredClone({ ...given, handler: NOT_RUN });
    expect(decideSettlement(given)).toEqual(decideSettlement(given));
    expect({ ...given, handler: NOT_RUN }).toEqual(copy);
  });
});

describe('repeatDelayMs', () => {
  it.each([
    [[], 1, 0],
    [[], 7, 0],
    [[0], 3, 0],
    [[50, 500], 1, 50],
    [[50, 500], 2, 500],
    [[50, 500], 9, 500],
  ])('delays %j, attempt %i: %i ms', (delays, attempt, expected) => {
    expect(repeatDelayMs(delays, attempt)).toBe(expected);
  });
});
