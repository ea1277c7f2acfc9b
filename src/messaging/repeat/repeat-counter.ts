/**
 * Counts deliveries of a message on a queue, outside the message itself, so that a message whose
 * handler crashes the process (and so never gets its header bumped) is still counted.
 *
 * The consumer calls `increment` on every delivery **before** the handler runs and `forget` once the
 * message is done with (acked or dead-lettered; a repeat keeps its count). A counter that throws or times out is treated
 * as unavailable: the consumer falls back to the attempt header and emits a warning.
 */
export interface RepeatCounter {
  /** Atomically adds one delivery and returns the total so far (1 on the first delivery). */
  increment(queue: string, messageId: string): Promise<number>;
  /** Forgets the message: it is settled. */
  forget(queue: string, messageId: string): Promise<void>;
  /** Releases connections the counter owns. */
  close(): Promise<void>;
}
