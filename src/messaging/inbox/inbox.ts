/**
 * Remembers which messages a consumer has processed, in the consumer's own transaction, so that a
 * message delivered twice (at-least-once delivery: a relay re-sent it, a connection dropped before the
 * ack) changes the database once.
 */
export interface Inbox<Tx = unknown> {
  /**
   * Records that `consumer` processes `messageId`, inside `tx`. Resolves to `false` when it was recorded
   * before (a duplicate): the caller skips the work. Rolls back with `tx`, so a failed handler does not
   * count as processed.
   */
  record(consumer: string, messageId: string, tx: Tx): Promise<boolean>;
}
