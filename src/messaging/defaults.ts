/**
 * The defaults that several components of tidings must agree on, each written once. A service's
 * Publisher, Bridge, Consumer, DeadLetters and dead-letter archive name the same application unless told
 * otherwise; both repeat counters keep a count as long; a publish waits as long whichever way it goes.
 * Defaults that only one component has live with its options (`resolveConsumerOptions`, for instance);
 * names put on the broker or in Redis live in names.ts.
 */

/**
 * The application id when none is given: `TIDINGS_APP_ID` from the environment, else `'tidings'`. Read
 * when a component is created, so that every component of a process uses the same one.
 *
 * @example
 * defaultAppId({ TIDINGS_APP_ID: 'billing' }); // 'billing'
 */
export function defaultAppId(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return env['TIDINGS_APP_ID'] ?? 'tidings';
}

/**
 * How long a counted message is remembered after its last delivery, unless it is forgotten first:
 * 24 hours, far longer than any repeat delay, so a message is never "new" again while it is repeated,
 * yet a message whose `forget` was lost (crash, counter outage) cannot keep a key forever.
 */
export const DEFAULT_REPEAT_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * How long a repeat-counter call may take: a consumer waits this long for its counter before it counts
 * in the header alone (`repeatCounterTimeoutMs`), and `RedisRepeatCounter` rejects a call that takes
 * longer (`timeoutMs`). Either way a slow counter costs a delivery at most this much.
 */
export const DEFAULT_REPEAT_COUNTER_TIMEOUT_MS = 500;

/**
 * How long a publish may wait for the broker's confirm: `AmqpTransport`'s `publishTimeoutMs`, and
 * `Publisher.send`'s `timeoutMs`, which also covers declaring the exchange.
 */
export const DEFAULT_PUBLISH_TIMEOUT_MS = 10_000;
