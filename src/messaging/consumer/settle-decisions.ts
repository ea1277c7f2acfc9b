import type { MessageIdentity } from '../envelope.js';
import { repeatCounterId } from '../envelope.js';

/** The copy a settle decision publishes: a repeat to a wait queue, or a dead letter. */
export interface DecidedCopy {
  readonly exchange: string;
  readonly routingKey: string;
  readonly headers: Record<string, unknown>;
  /** The attempt the decision was made on: what a dead letter made in its place records. */
  readonly attempt: number;
  /**
   * A dead letter that already goes without the original's headers: when the transport refuses it too,
   * the original is rejected to its queue's dead-letter exchange instead.
   */
  readonly lastResort?: boolean;
}

/**
 * An outcome decided for a delivery (repeat it, dead-letter it) that could not be completed on the
 * channel it came on: the copy was not published yet (`copied: false`), or it was and the ack was lost
 * with the channel (`copied: true`). When the broker delivers the message again, the consumer completes
 * the decision instead of running the handler again.
 */
export interface SettleDecision {
  readonly copy: DecidedCopy;
  readonly copied: boolean;
  /** What the consumer does once the original is acked (emit `settled`, forget the count). */
  readonly after: () => unknown;
}

/**
 * Decisions waiting for their message to come back, by message (its repeat-counter id) and the attempt in
 * its header, so a repeat's copy, which comes back with the next attempt, is never taken for the original.
 * Bounded: beyond `maxEntries` the oldest decision is forgotten (its message is then handled again, as
 * before this existed). In memory: a decision does not survive its process.
 */
export class SettleDecisions {
  readonly #decisions = new Map<string, SettleDecision>();

  constructor(readonly maxEntries = 10_000) {}

  get size(): number {
    return this.#decisions.size;
  }

  remember(identity: MessageIdentity, decision: SettleDecision): void {
    const key = decisionKey(identity);
    this.#decisions.delete(key);
    this.#decisions.set(key, decision);
    while (this.#decisions.size > this.maxEntries) {
      this.#decisions.delete(this.#decisions.keys().next().value!);
    }
  }

  /** The decision for this delivery, removed from the memory; `undefined` when there is none. */
  take(identity: MessageIdentity): SettleDecision | undefined {
    const key = decisionKey(identity);
    const decision = this.#decisions.get(key);
    if (decision !== undefined) this.#decisions.delete(key);
    return decision;
  }
}

function decisionKey(identity: MessageIdentity): string {
  return `${repeatCounterId(identity)}\u0000${identity.headerAttempt}`;
}
