import type { MessageProperties } from '../transport.js';

/**
 * One message to publish later, written in the business transaction: the message as encoded for the
 * broker, which the relay publishes unchanged. `encodeOutboxMessage()` builds one exactly as
 * `Publisher.send` would send it.
 */
export interface OutboxMessage {
  /** UUIDv7; becomes the AMQP message id, so consumers can de-duplicate a re-sent row. */
  readonly id: string;
  readonly exchange: string;
  readonly routingKey: string;
  /** The encoded body (for events, their JSON as UTF-8), published byte for byte. */
  readonly content: Uint8Array;
  /**
   * AMQP properties besides the id (contentType, type, appId, timestamp, correlationId, headers…).
   * Header values keep their type: `Date`s, `Buffer`s and amqplib's typed values (`{ '!': 'uint16', value }`).
   */
  readonly properties: Omit<MessageProperties, 'messageId'>;
}

/** A row a relay has claimed: it holds the lease (until it expires), proven by `leaseToken`. */
export interface ClaimedRow extends Omit<OutboxMessage, 'content'> {
  /** The body to publish. */
  readonly content: Buffer;
  /** Failed publish attempts so far. */
  readonly attempts: number;
  readonly createdAt: Date;
  /**
   * Fencing token: grows with every claim of any row. Marking a row published or failed requires the
   * token of the current lease, so a relay whose lease expired (and was taken over) is refused.
   */
  readonly leaseToken: string;
}

export interface OutboxStats {
  /** Rows not yet published. */
  pending: number;
  /** Age of the oldest unpublished row, 0 when there is none. */
  oldestPendingAgeMs: number;
  /** Unpublished rows under a live lease (being published right now). */
  inFlight: number;
  /** Unpublished rows that failed at least once. */
  failing: number;
  /** Published rows still kept (until retention removes them). */
  published: number;
}

/** A claimed row whose publish failed, for `Outbox.markFailed`. */
export interface FailedRow extends Pick<ClaimedRow, 'id' | 'leaseToken'> {
  /** Recorded as the row's last error. */
  error: string;
  /** When the row is due again, from now. */
  retryInMs: number;
}

/**
 * Where forwarded events wait between the business transaction and the broker. `add` runs inside the
 * caller's transaction (`Tx`), so the rows commit or roll back with the business data; a relay then
 * claims, publishes and marks them.
 */
export interface Outbox<Tx = unknown> {
  /** Writes the messages in the caller's transaction (one round trip for any number of them). */
  add(messages: readonly OutboxMessage[], tx: Tx): Promise<void>;
  /**
   * Claims up to `limit` rows that are due (not published, available, not under a live lease) for
   * `owner` for `leaseMs`, oldest first (by when they became available, then id). Never skips a row that committed late: it is due whenever a
   * claim runs after its commit.
   */
  claim(owner: string, limit: number, leaseMs: number): Promise<ClaimedRow[]>;
  /** Marks rows published, each only if `owner` still holds it with that token; returns the ids marked. */
  markPublished(owner: string, rows: readonly Pick<ClaimedRow, 'id' | 'leaseToken'>[]): Promise<string[]>;
  /**
   * Records a failed attempt of each row and makes it due again `retryInMs` from now, by the outbox's
   * clock (the database's, so that relays on hosts whose clocks disagree retry on time); one round
   * trip for the batch. Returns the ids recorded: a row whose lease `owner` no longer holds is skipped.
   */
  markFailed(owner: string, rows: readonly FailedRow[]): Promise<string[]>;
  /**
   * Extends the leases `owner` still holds on `rows` to `leaseMs` from now (a relay whose batch takes
   * longer than its lease keeps it); returns the ids still held.
   */
  extendLease(
    owner: string,
    rows: readonly Pick<ClaimedRow, 'id' | 'leaseToken'>[],
    leaseMs: number,
  ): Promise<string[]>;
  /** Gives up every lease `owner` holds (a graceful stop); returns how many. */
  release(owner: string): Promise<number>;
  /** Deletes published rows older than `before`, at most `limit`; returns how many. */
  deletePublished(before: Date, limit: number): Promise<number>;
  stats(): Promise<OutboxStats>;
  /**
   * Calls `listener` when rows may have been committed (PostgreSQL LISTEN/NOTIFY, an in-process
   * signal). A hint only: relays poll as well. Resolves to the function that stops listening.
   */
  watch(listener: () => void): Promise<() => Promise<void>>;
}
