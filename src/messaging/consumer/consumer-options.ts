import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { assertKnownOptions, describeValue, integerOption, optionKeys } from '../../internal/options.js';
import { defaultAppId, DEFAULT_REPEAT_COUNTER_TIMEOUT_MS } from '../defaults.js';
import { MAX_HEADER_TABLE_BYTES } from '../header-table-size.js';
import { resolveDeadLetterNames, type DeadLetterNames } from '../names.js';
import { MemoryRepeatCounter } from '../repeat/memory-repeat-counter.js';
import type { RepeatCounter } from '../repeat/repeat-counter.js';
import { loggerOption, type Logger } from '../logging/logger.js';
import { assertRoutingKey } from '../routing.js';

export interface ConsumerOptions {
  /** The queue to consume; declared durable, with the common dead-letter exchange. */
  queue: string;
  /** Binding keys (`order.created`, `order.*`, `order.#`); each binds the queue to its first part's exchange. */
  bindingKeys: readonly string[];
  /** Unsettled messages at most, from 1 to 65535. @defaultValue 10 */
  prefetch?: number;
  /** Names the dead-letter exchange and queue, and who gave up on a message. @defaultValue process.env.TIDINGS_APP_ID ?? 'tidings' */
  appId?: string;
  /** Deliveries to the handler at most; then the message is dead-lettered (`repeats-exhausted`). @defaultValue 5 */
  maxAttempts?: number;
  /**
   * Delay before repeat N (the last one applies to later repeats). 0 repeats at once. Each distinct
   * delay gets a wait queue whose TTL dead-letters the copy back to this queue.
   * @defaultValue [1000, 10000, 60000]
   */
  repeatDelaysMs?: readonly number[];
  /** Counts deliveries outside the message, so crashes count too. @defaultValue new MemoryRepeatCounter() */
  repeatCounter?: RepeatCounter;
  /** A counter slower than this counts as unavailable (header count, warning). @defaultValue 500 */
  repeatCounterTimeoutMs?: number;
  /** @defaultValue `defaultDeadLetterNames(appId)`: `<appId>.dead-letter` and `<appId>.dead-letters` */
  deadLetter?: Partial<DeadLetterNames>;
  /** @defaultValue 'classic' */
  queueType?: 'classic' | 'quorum';
  /** Queue TTL (`x-message-ttl`): unconsumed messages expire into the dead-letter queue. */
  messageTtlMs?: number;
  /** Larger bodies are dead-lettered as `invalid-content`. @defaultValue 4194304 (4 MiB) */
  maxContentBytes?: number;
  /**
   * Messages whose header table encodes to more bytes are dead-lettered as `invalid-content`, without
   * their headers. At most 49152: tidings keeps 16 KiB of the 64 KiB an AMQP header table may hold for
   * the headers it adds to repeats and dead letters, so that their copies can always be sent.
   * @defaultValue 32768 (32 KiB)
   */
  maxHeaderBytes?: number;
  /**
   * Also writes the consumer's warnings (with their codes) and errors (`copy-publish-failed`) to this
   * logger (`console`, pino), the queue in the data. The events stay as they are.
   * @defaultValue none: the events only
   */
  logger?: Logger;
}

/** Every option key, in the order of the interface; unknown keys are rejected naming the key. */
const OPTION_KEYS = optionKeys<ConsumerOptions>({
  queue: true,
  bindingKeys: true,
  prefetch: true,
  appId: true,
  maxAttempts: true,
  repeatDelaysMs: true,
  repeatCounter: true,
  repeatCounterTimeoutMs: true,
  deadLetter: true,
  queueType: true,
  messageTtlMs: true,
  maxContentBytes: true,
  maxHeaderBytes: true,
  logger: true,
});

/** Room in a header table for what repeats and dead letters add (see dead-letter-headers.ts). */
const HEADER_ROOM_BYTES = 16_384;

/** The options with every default applied and every value checked. */
export interface ResolvedConsumerOptions {
  readonly queue: string;
  readonly bindingKeys: readonly string[];
  readonly appId: string;
  readonly deadLetter: DeadLetterNames;
  readonly prefetch: number;
  readonly maxAttempts: number;
  readonly repeatDelaysMs: readonly number[];
  readonly repeatCounter: RepeatCounter;
  readonly repeatCounterTimeoutMs: number;
  readonly queueType: 'classic' | 'quorum' | undefined;
  readonly messageTtlMs: number | undefined;
  readonly maxContentBytes: number;
  readonly maxHeaderBytes: number;
  readonly logger: Logger | undefined;
}

/** Checks the options, naming the first bad one, and applies the defaults: the one place they live. */
export function resolveConsumerOptions(options: ConsumerOptions): ResolvedConsumerOptions {
  assertKnownOptions(options, OPTION_KEYS, 'Consumer');
  if (typeof options.queue !== 'string' || options.queue === '') {
    throw new InvalidArgumentError(
      `Consumer: queue must be a non-empty string, got ${describeValue(options.queue)}`,
    );
  }
  if (!Array.isArray(options.bindingKeys) || options.bindingKeys.length === 0) {
    throw new InvalidArgumentError(
      `Consumer: bindingKeys must list at least one routing key for ${options.queue}`,
    );
  }
  const bindingKeys = options.bindingKeys.map((key) => assertRoutingKey(key));
  const appId = options.appId ?? defaultAppId();
  const deadLetter = resolveDeadLetterNames(appId, options.deadLetter, 'Consumer');
  // basic.qos carries the prefetch count in 16 bits.
  const prefetch = integerOption(options.prefetch, 10, 'Consumer: prefetch', 1, 65_535);
  const maxAttempts = integerOption(options.maxAttempts, 5, 'Consumer: maxAttempts', 1);
  const delays = options.repeatDelaysMs ?? [1000, 10_000, 60_000];
  if (!Array.isArray(delays)) {
    throw new InvalidArgumentError(
      `Consumer: repeatDelaysMs must be a list of integers, got ${describeValue(delays)}`,
    );
  }
  const repeatDelaysMs = delays.map((delay, index) =>
    integerOption(delay, 0, `Consumer: repeatDelaysMs[${index}]`, 0),
  );
  const counter = options.repeatCounter;
  if (counter !== undefined && !isRepeatCounter(counter)) {
    // Checked now: a counter without increment() would fail on every delivery and only show up as
    // "counter unavailable" warnings.
    throw new InvalidArgumentError(
      `Consumer: repeatCounter must have increment(), forget() and close(), got ${describeValue(counter)}`,
    );
  }
  const repeatCounter = counter ?? new MemoryRepeatCounter();
  const repeatCounterTimeoutMs = integerOption(
    options.repeatCounterTimeoutMs,
    DEFAULT_REPEAT_COUNTER_TIMEOUT_MS,
    'Consumer: repeatCounterTimeoutMs',
    1,
  );
  if (options.queueType !== undefined && options.queueType !== 'classic' && options.queueType !== 'quorum') {
    throw new InvalidArgumentError(
      `Consumer: queueType must be "classic" or "quorum", got ${describeValue(options.queueType)}`,
    );
  }
  const messageTtlMs =
    options.messageTtlMs === undefined
      ? undefined
      : integerOption(options.messageTtlMs, 0, 'Consumer: messageTtlMs', 0);
  const maxContentBytes = integerOption(
    options.maxContentBytes,
    4 * 1024 * 1024,
    'Consumer: maxContentBytes',
    1,
  );
  const maxHeaderBytes = integerOption(
    options.maxHeaderBytes,
    32_768,
    'Consumer: maxHeaderBytes',
    1,
    MAX_HEADER_TABLE_BYTES - HEADER_ROOM_BYTES,
  );
  return {
    queue: options.queue,
    bindingKeys,
    appId,
    deadLetter,
    prefetch,
    maxAttempts,
    repeatDelaysMs,
    repeatCounter,
    repeatCounterTimeoutMs,
    queueType: options.queueType,
    messageTtlMs,
    maxContentBytes,
    maxHeaderBytes,
    logger: loggerOption(options.logger, 'Consumer'),
  };
}

function isRepeatCounter(value: unknown): value is RepeatCounter {
  const counter = value as Partial<RepeatCounter> | null;
  return (
    typeof counter === 'object' &&
    counter !== null &&
    typeof counter.increment === 'function' &&
    typeof counter.forget === 'function' &&
    typeof counter.close === 'function'
  );
}
