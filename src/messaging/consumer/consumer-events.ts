import type { DeadLetterReason } from '../names.js';

/** Where a message ended up: the consumer emits one `settled` event per delivery. */
export type SettledOutcome =
  | { outcome: 'acked'; queue: string; messageId: string; attempt: number }
  | {
      outcome: 'repeated';
      queue: string;
      messageId: string;
      attempt: number;
      delayMs: number;
      error: unknown;
    }
  | {
      outcome: 'dead-lettered';
      queue: string;
      messageId: string;
      attempt: number;
      reason: DeadLetterReason;
      error: unknown;
    };

export interface ConsumerEvents {
  settled: [outcome: SettledOutcome];
  /**
   * `repeat-counter-unavailable`: the counter failed or was slow, attempts are counted in the header
   * alone meanwhile; once per outage, not per message. `repeat-counter-restored`: it answers again (the
   * message says after how many failed calls and how long). `settle-lost`: a copy was published but the
   * original's channel closed before its ack, so it comes back once more (at-least-once).
   */
  warning: [
    warning: {
      code: 'repeat-counter-unavailable' | 'repeat-counter-restored' | 'settle-lost';
      message: string;
      error: unknown;
    },
  ];
  /**
   * The copy of a decided outcome (repeat, dead letter) could not be published: it is tried again with
   * backoff, the original staying unacked, without running the handler again. (When the consumer
   * closes meanwhile, the original goes back to the queue and its copy is published when it returns.)
   */
  error: [error: Error];
}

/** A warning the consumer emits (internal shorthand for the `warning` event's argument). */
export type ConsumerWarning = ConsumerEvents['warning'][0];
