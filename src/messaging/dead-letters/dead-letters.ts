import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { assertKnownOptions, describeValue, integerOption, optionKeys } from '../../internal/options.js';
import { sleep } from '../../internal/signal.js';
import { defaultAppId } from '../defaults.js';
import { headersToCopy } from '../delivery-headers.js';
import { identify } from '../envelope.js';
import { HEADERS, resolveDeadLetterNames, type DeadLetterNames } from '../names.js';
import type { Delivery, MessageProperties, Transport } from '../transport.js';
import { replayMessage } from './replay-message.js';
import { publishCopy } from '../telemetry/copy-spans.js';

/** How long a scan waits for the messages it returned to be back in the queue (see `#requeued`). */
const REQUEUE_WAIT_MS = 2000;

/** One message of the dead-letter queue, as the tooling shows it. */
export interface DeadLetter {
  readonly messageId: string;
  /** `repeats-exhausted`, `non-retryable`, `invalid-content` (written by tidings) or the broker's `expired`, `rejected`, `maxlen`, `delivery-limit`. */
  readonly reason: string;
  /** The queue it was consumed from (where a replay sends it). */
  readonly queue: string | undefined;
  readonly exchange: string;
  readonly routingKey: string;
  readonly attempts: number | undefined;
  readonly error: { readonly name: string; readonly message: string } | undefined;
  readonly firstFailureAt: string | undefined;
  readonly lastFailureAt: string | undefined;
  readonly consumerApp: string | undefined;
  readonly content: Buffer;
  /** Every property, and the headers as a handler sees them. */
  readonly properties: Readonly<MessageProperties>;
  /**
   * The headers with every value's AMQP field type kept (`{ '!': 'uint16', value: 300 }` where a plain
   * value would be sent under another type): what a replay and the archive write. Absent: as `properties`.
   */
  readonly typedHeaders?: Readonly<Record<string, unknown>>;
}

export interface DeadLetterFilter {
  /** Only messages that came from this queue. */
  queue?: string;
  /** Only messages dead-lettered for this reason. */
  reason?: string;
  /** Handle at most this many matching messages. @defaultValue all */
  limit?: number;
}

export interface ReplayOptions extends DeadLetterFilter {
  /** Say what would be replayed, change nothing. @defaultValue false */
  dryRun?: boolean;
  /** Replays per second at most. @defaultValue unlimited */
  ratePerSecond?: number;
  /** Called after each matching message. */
  onProgress?: (progress: {
    done: number;
    total: number;
    deadLetter: DeadLetter;
    outcome: 'replayed' | 'failed' | 'dry-run';
  }) => void;
}

export interface ReplaySummary {
  /** Messages looked at. */
  scanned: number;
  replayed: number;
  /** Messages that did not match the filter (left in place). */
  skipped: number;
  /** Matching messages that could not be sent back (left in place), with why. */
  failed: { messageId: string; error: string }[];
  dryRun: boolean;
}

/** Decides what becomes of one dead letter in `DeadLetters.visit`. */
export type DeadLetterVisitor = (deadLetter: DeadLetter) => 'keep' | 'remove' | Promise<'keep' | 'remove'>;

export interface DeadLettersOptions {
  /** Whose dead-letter queue it is. @defaultValue process.env.TIDINGS_APP_ID ?? 'tidings' */
  appId?: string;
  deadLetter?: Partial<DeadLetterNames>;
}

const OPTION_KEYS = optionKeys<DeadLettersOptions>({ appId: true, deadLetter: true });
const FILTER_KEYS = optionKeys<DeadLetterFilter>({ queue: true, reason: true, limit: true });
const PURGE_KEYS = optionKeys<DeadLetterFilter & { dryRun?: boolean }>({
  queue: true,
  reason: true,
  limit: true,
  dryRun: true,
});
const REPLAY_KEYS = optionKeys<ReplayOptions>({
  queue: true,
  reason: true,
  limit: true,
  dryRun: true,
  ratePerSecond: true,
  onProgress: true,
});

/**
 * The common dead-letter queue of an application, as an API (the `tidings dead-letters` CLI uses it):
 * list, replay to the original queue with attempts reset, purge. Every operation acks a dead letter
 * only after what replaces it is confirmed; what it does not handle stays in the queue, in order.
 *
 * @example
 * const deadLetters = new DeadLetters(transport, { appId: 'billing' });
 * const summary = await deadLetters.replay({ reason: 'repeats-exhausted', limit: 100 });
 */
export class DeadLetters {
  readonly names: DeadLetterNames;
  readonly #transport: Transport;

  constructor(transport: Transport, options: DeadLettersOptions = {}) {
    assertKnownOptions(options, OPTION_KEYS, 'DeadLetters');
    this.#transport = transport;
    this.names = resolveDeadLetterNames(options.appId ?? defaultAppId(), options.deadLetter, 'DeadLetters');
  }

  /** The dead letters matching the filter, oldest first; the queue is left as it was. */
  async list(filter: DeadLetterFilter = {}): Promise<DeadLetter[]> {
    const found: DeadLetter[] = [];
    await this.#scan(filter, FILTER_KEYS, (deadLetter) => {
      found.push(deadLetter);
      return 'keep';
    });
    return found;
  }

  /**
   * Sends matching dead letters back to the queue they came from, with attempts reset and their original
   * routing key kept, then removes each from the dead-letter queue once its copy is confirmed.
   */
  async replay(options: ReplayOptions = {}): Promise<ReplaySummary> {
    const dryRun = options.dryRun === true;
    const minIntervalMs =
      options.ratePerSecond === undefined
        ? 0
        : 1000 / positive(options.ratePerSecond, 'replay: ratePerSecond');
    const summary: ReplaySummary = { scanned: 0, replayed: 0, skipped: 0, failed: [], dryRun };
    let done = 0;
    // The progress total is an upper bound (messages in the queue, or the limit): counting the matches
    // exactly would mean scanning the queue twice.
    const waiting = (await this.#transport.queueStats(this.names.queue))?.messageCount ?? 0;
    const total = Math.min(waiting, options.limit ?? Infinity);
    const counts = await this.#scan(options, REPLAY_KEYS, async (deadLetter) => {
      const started = Date.now();
      let outcome: 'replayed' | 'failed' | 'dry-run' = 'dry-run';
      if (!dryRun) {
        if (deadLetter.queue === undefined) {
          summary.failed.push({ messageId: deadLetter.messageId, error: 'the original queue is unknown' });
          outcome = 'failed';
        } else {
          try {
            await publishCopy(
              this.#transport,
              replayMessage({ ...deadLetter, queue: deadLetter.queue }),
              'replay',
            );
            outcome = 'replayed';
            summary.replayed++;
          } catch (error) {
            summary.failed.push({ messageId: deadLetter.messageId, error: (error as Error).message });
            outcome = 'failed';
          }
        }
      }
      options.onProgress?.({ done: ++done, total, deadLetter, outcome });
      const wait = minIntervalMs - (Date.now() - started);
      if (wait > 0) await sleep(wait);
      return outcome === 'replayed' ? 'remove' : 'keep';
    });
    summary.scanned = counts.scanned;
    summary.skipped = counts.skipped;
    return summary;
  }

  /** Removes matching dead letters (all of them without a filter). Returns how many. */
  async purge(
    filter: DeadLetterFilter & { dryRun?: boolean } = {},
  ): Promise<{ purged: number; dryRun: boolean }> {
    const dryRun = filter.dryRun === true;
    const unfiltered =
      filter.queue === undefined && filter.reason === undefined && filter.limit === undefined;
    if (unfiltered && !dryRun) {
      assertKnownOptions(filter, PURGE_KEYS, 'purge');
      return { purged: await this.#transport.purgeQueue(this.names.queue), dryRun };
    }
    let purged = 0;
    await this.#scan(filter, PURGE_KEYS, () => {
      purged++;
      return dryRun ? 'keep' : 'remove';
    });
    return { purged, dryRun };
  }

  /**
   * Hands each matching dead letter to `visitor`, oldest first, and removes it from the queue only when
   * the visitor resolves to `'remove'`: a visitor that stores the message elsewhere (an archive, say)
   * resolves only once it is stored, so a crash in between leaves the message in the queue. What is not
   * removed stays in the queue, in order. A visitor that throws stops the visit; its message goes back to
   * the queue with the others and the error is rethrown.
   *
   * @example
   * await deadLetters.visit({ reason: 'invalid-content' }, async (deadLetter) => {
   *   await saveSomewhere(deadLetter.messageId, deadLetter.content);
   *   return 'remove';
   * });
   */
  async visit(
    filter: DeadLetterFilter,
    visitor: DeadLetterVisitor,
  ): Promise<{ scanned: number; skipped: number }> {
    if (typeof visitor !== 'function') {
      throw new InvalidArgumentError(`visit: expected a function, got ${describeValue(visitor)}`);
    }
    return this.#scan(filter, FILTER_KEYS, visitor);
  }

  /**
   * Looks at each message once (no more than the queue held when the scan began), holding every message
   * it keeps unacked until the end, then returns those to the queue in their order.
   */
  async #scan(
    filter: DeadLetterFilter,
    known: readonly string[],
    visit: DeadLetterVisitor,
  ): Promise<{ scanned: number; skipped: number }> {
    assertKnownOptions(filter, known, 'dead letters');
    const limit = filter.limit === undefined ? Infinity : integerOption(filter.limit, 0, 'limit', 1);
    const stats = await this.#transport.queueStats(this.names.queue);
    if (stats === undefined) return { scanned: 0, skipped: 0 };
    const kept: Delivery[] = [];
    let scanned = 0;
    let skipped = 0;
    let matched = 0;
    try {
      while (scanned < stats.messageCount && matched < limit) {
        const delivery = await this.#transport.get(this.names.queue);
        if (delivery === undefined) break;
        scanned++;
        const deadLetter = describeDeadLetter(delivery);
        const matches =
          (filter.queue === undefined || deadLetter.queue === filter.queue) &&
          (filter.reason === undefined || deadLetter.reason === filter.reason);
        if (!matches) {
          skipped++;
          kept.push(delivery);
          continue;
        }
        matched++;
        // Kept until the visitor says otherwise, so a visitor that throws returns it to the queue too.
        kept.push(delivery);
        if ((await visit(deadLetter)) !== 'remove') continue;
        kept.pop();
        if (!delivery.ack())
          throw new Error(`Lost the channel before removing dead letter ${deadLetter.messageId}`);
      }
    } finally {
      for (const delivery of kept) delivery.nack({ requeue: true });
    }
    await this.#requeued(kept.length);
    return { scanned, skipped };
  }

  /**
   * Waits (briefly) until the messages just returned are back in the queue. A nack is not answered by
   * the broker, and the next operation's count of the queue (`queueStats`, on another channel) could
   * come before the broker had requeued them: a `purge` right after a dry run then saw fewer messages.
   */
  async #requeued(count: number): Promise<void> {
    if (count === 0) return;
    const deadline = Date.now() + REQUEUE_WAIT_MS;
    while (((await this.#transport.queueStats(this.names.queue))?.messageCount ?? count) < count) {
      if (Date.now() >= deadline) return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

/** Reads what a dead letter says about itself: tidings' headers, else the broker's `x-death`. */
export function describeDeadLetter(delivery: Delivery): DeadLetter {
  const headers = delivery.properties.headers;
  const death = latestDeath(headers[HEADERS.death]);
  const identity = identify(delivery);
  const text = (name: string): string | undefined => {
    const value = headers[name];
    return typeof value === 'string' ? value : undefined;
  };
  const reason =
    text(HEADERS.deadReason) ?? (death?.reason === undefined ? 'unknown' : death.reason.replace('_', '-'));
  const attempts = Number(headers[HEADERS.attempts] ?? Number.NaN);
  const errorName = text(HEADERS.errorName);
  const [deathRoutingKey] = death?.routingKeys ?? [];
  return {
    messageId: identity.messageId,
    reason,
    queue: text(HEADERS.originalQueue) ?? death?.queue,
    exchange: text(HEADERS.originalExchange) ?? death?.exchange ?? delivery.exchange,
    routingKey: text(HEADERS.originalRoutingKey) ?? deathRoutingKey ?? delivery.routingKey,
    attempts: Number.isFinite(attempts) ? attempts : undefined,
    error:
      errorName === undefined ? undefined : { name: errorName, message: text(HEADERS.errorMessage) ?? '' },
    firstFailureAt: text(HEADERS.firstFailureAt),
    lastFailureAt: text(HEADERS.lastFailureAt),
    consumerApp: text(HEADERS.consumerApp),
    content: delivery.content,
    properties: delivery.properties,
    typedHeaders: headersToCopy(delivery),
  };
}

interface Death {
  reason?: string;
  queue?: string;
  exchange?: string;
  routingKeys?: string[];
}

/** The newest entry of RabbitMQ's `x-death` header (it keeps the newest first). */
function latestDeath(value: unknown): Death | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const entry = value[0] as Record<string, unknown>;
  const routingKeys = entry['routing-keys'];
  return {
    ...(typeof entry['reason'] === 'string' ? { reason: entry['reason'] } : {}),
    ...(typeof entry['queue'] === 'string' ? { queue: entry['queue'] } : {}),
    ...(typeof entry['exchange'] === 'string' ? { exchange: entry['exchange'] } : {}),
    ...(Array.isArray(routingKeys)
      ? { routingKeys: routingKeys.filter((key) => typeof key === 'string') }
      : {}),
  };
}

function positive(value: unknown, name: string): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new InvalidArgumentError(`${name} must be a positive number, got ${describeValue(value)}`);
  }
  return value;
}
