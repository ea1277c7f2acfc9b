import type { MessageProperties } from '../transport.js';

/** Where an archived dead letter stands: waiting to be looked at, sent back to its queue, or given up. */
export type ArchivedStatus = 'pending' | 'replayed' | 'discarded';

/** One row of the dead-letter archive. */
export interface ArchivedDeadLetter {
  /** The archive id (a bigint, as a string): what `get`, `replay` and `discard` take. */
  readonly id: string;
  /** The application whose dead-letter queue it was archived from. */
  readonly appId: string;
  readonly deadLetterQueue: string;
  /** The AMQP message id (else the body's hash, as the consumer identified it). */
  readonly messageId: string;
  /** `repeats-exhausted`, `non-retryable`, `invalid-content`, or the broker's `expired`, `rejected`, … */
  readonly reason: string;
  /** The queue it was consumed from, where a replay sends it. */
  readonly queue: string | undefined;
  readonly exchange: string;
  readonly routingKey: string;
  readonly attempts: number | undefined;
  readonly error:
    { readonly name: string; readonly message: string; readonly stack: string | undefined } | undefined;
  readonly consumerApp: string | undefined;
  readonly firstFailureAt: Date | undefined;
  /** When it was dead-lettered (the last failure, or the broker's `x-death` time). */
  readonly deadLetteredAt: Date | undefined;
  readonly contentType: string | undefined;
  /** The body, byte for byte. */
  readonly content: Buffer;
  /** Every property and header it had in the dead-letter queue, the headers as a handler sees them. */
  readonly properties: Readonly<MessageProperties & { headers: Record<string, unknown> }>;
  /** The headers with every value's AMQP field type kept: what a replay sends (see `DeadLetter`). */
  readonly typedHeaders: Readonly<Record<string, unknown>>;
  readonly status: ArchivedStatus;
  readonly archivedAt: Date;
  readonly replayedAt: Date | undefined;
  readonly discardedAt: Date | undefined;
}
