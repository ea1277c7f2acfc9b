import type { InMemoryTransaction } from '../../deferred/in-memory-unit-of-work.js';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { describeValue, integerOption } from '../../internal/options.js';
import { fromArchiveJson, toArchiveJson } from '../dead-letters/archive-json.js';
import type { ClaimedRow, FailedRow, Outbox, OutboxMessage, OutboxStats } from './outbox.js';
import { assertOutboxMessage } from './outbox-message.js';

interface Row {
  message: StoredMessage;
  createdAt: Date;
  availableAt: number;
  attempts: number;
  lastError: string | undefined;
  leaseOwner: string | undefined;
  leaseToken: string | undefined;
  leaseExpiresAt: number;
  publishedAt: number | undefined;
}

/**
 * The embedded outbox, for the demo and for tests of code that uses one: rows are added when the
 * `InMemoryUnitOfWork` transaction commits (never when it rolls back), and claims, leases, fencing
 * tokens and retries behave as in `PgOutbox`. Nothing survives the process, so it proves the flow,
 * not durability.
 *
 * @example
 * const outbox = new MemoryOutbox();
 * bridge.useOutbox(flusher, outbox);
 */
export class MemoryOutbox implements Outbox<InMemoryTransaction> {
  readonly #rows = new Map<string, Row>();
  readonly #watchers = new Set<() => void>();
  #nextToken = 1;

  add(messages: readonly OutboxMessage[], tx: InMemoryTransaction): Promise<void> {
    if (typeof tx?.onCommit !== 'function') {
      throw new InvalidArgumentError(
        `MemoryOutbox.add: expected an InMemoryTransaction (from InMemoryUnitOfWork), got ${describeValue(tx)}`,
      );
    }
    for (const [index, message] of messages.entries())
      assertOutboxMessage(message, `MemoryOutbox.add: messages[${index}]`);
    const copies = messages.map(copyMessage);
    tx.onCommit(() => {
      const now = Date.now();
      for (const message of copies) {
        if (this.#rows.has(message.id))
          throw new InvalidArgumentError(`MemoryOutbox: duplicate id ${message.id}`);
        this.#rows.set(message.id, {
          message,
          createdAt: new Date(now),
          availableAt: now,
          attempts: 0,
          lastError: undefined,
          leaseOwner: undefined,
          leaseToken: undefined,
          leaseExpiresAt: 0,
          publishedAt: undefined,
        });
      }
      // After the commit, like PostgreSQL's NOTIFY: on the next turn, so the commit has finished.
      setImmediate(() => this.#notify());
    });
    return Promise.resolve();
  }

  claim(owner: string, limit: number, leaseMs: number): Promise<ClaimedRow[]> {
    integerOption(limit, 1, 'claim: limit', 1);
    integerOption(leaseMs, 1, 'claim: leaseMs', 1);
    const now = Date.now();
    const claimed: ClaimedRow[] = [];
    // Map order is insertion (commit) order; ids are UUIDv7, so sorting gives creation order.
    const due = [...this.#rows.values()]
      .filter((row) => row.publishedAt === undefined && row.availableAt <= now && row.leaseExpiresAt < now)
      .sort((a, b) => (a.message.id < b.message.id ? -1 : 1))
      .slice(0, limit);
    for (const row of due) {
      row.leaseOwner = owner;
      row.leaseToken = String(this.#nextToken++);
      row.leaseExpiresAt = now + leaseMs;
      claimed.push({
        ...copyMessage(row.message),
        attempts: row.attempts,
        createdAt: row.createdAt,
        leaseToken: row.leaseToken,
      });
    }
    return Promise.resolve(claimed);
  }

  markPublished(owner: string, rows: readonly Pick<ClaimedRow, 'id' | 'leaseToken'>[]): Promise<string[]> {
    const marked: string[] = [];
    for (const { id, leaseToken } of rows) {
      const row = this.#held(owner, id, leaseToken);
      if (row === undefined) continue;
      row.publishedAt = Date.now();
      this.#clearLease(row);
      marked.push(id);
    }
    return Promise.resolve(marked);
  }

  markFailed(owner: string, failures: readonly FailedRow[]): Promise<string[]> {
    // All checked first: a bad entry changes no row, as in PgOutbox.
    for (const failure of failures) integerOption(failure.retryInMs, 0, 'markFailed: retryInMs', 0);
    const recorded: string[] = [];
    for (const failure of failures) {
      const row = this.#held(owner, failure.id, failure.leaseToken);
      if (row === undefined) continue;
      row.attempts++;
      row.lastError = failure.error.slice(0, 2000);
      row.availableAt = Date.now() + failure.retryInMs;
      this.#clearLease(row);
      recorded.push(failure.id);
    }
    return Promise.resolve(recorded);
  }

  extendLease(
    owner: string,
    rows: readonly Pick<ClaimedRow, 'id' | 'leaseToken'>[],
    leaseMs: number,
  ): Promise<string[]> {
    integerOption(leaseMs, 1, 'extendLease: leaseMs', 1);
    const held: string[] = [];
    for (const { id, leaseToken } of rows) {
      const row = this.#held(owner, id, leaseToken);
      if (row === undefined) continue;
      row.leaseExpiresAt = Date.now() + leaseMs;
      held.push(id);
    }
    return Promise.resolve(held);
  }

  release(owner: string): Promise<number> {
    let released = 0;
    for (const row of this.#rows.values()) {
      if (row.leaseOwner === owner && row.publishedAt === undefined) {
        this.#clearLease(row);
        released++;
      }
    }
    return Promise.resolve(released);
  }

  deletePublished(before: Date, limit: number): Promise<number> {
    let deleted = 0;
    for (const [id, row] of this.#rows) {
      if (deleted >= limit) break;
      if (row.publishedAt !== undefined && row.publishedAt < before.getTime()) {
        this.#rows.delete(id);
        deleted++;
      }
    }
    return Promise.resolve(deleted);
  }

  stats(): Promise<OutboxStats> {
    const now = Date.now();
    const stats: OutboxStats = { pending: 0, oldestPendingAgeMs: 0, inFlight: 0, failing: 0, published: 0 };
    for (const row of this.#rows.values()) {
      if (row.publishedAt !== undefined) {
        stats.published++;
        continue;
      }
      stats.pending++;
      stats.oldestPendingAgeMs = Math.max(stats.oldestPendingAgeMs, now - row.createdAt.getTime());
      if (row.leaseExpiresAt >= now) stats.inFlight++;
      if (row.attempts > 0) stats.failing++;
    }
    return Promise.resolve(stats);
  }

  watch(listener: () => void): Promise<() => Promise<void>> {
    this.#watchers.add(listener);
    return Promise.resolve(() => {
      this.#watchers.delete(listener);
      return Promise.resolve();
    });
  }

  /** The row, if `owner` holds its lease with this token (fencing), else undefined. */
  #held(owner: string, id: string, token: string): Row | undefined {
    const row = this.#rows.get(id);
    if (
      row === undefined ||
      row.leaseOwner !== owner ||
      row.leaseToken !== token ||
      row.publishedAt !== undefined
    ) {
      return undefined;
    }
    return row;
  }

  #clearLease(row: Row): void {
    row.leaseOwner = undefined;
    row.leaseToken = undefined;
    row.leaseExpiresAt = 0;
  }

  #notify(): void {
    for (const listener of this.#watchers) listener();
  }
}

type StoredMessage = Omit<OutboxMessage, 'content'> & { readonly content: Buffer };

/**
 * A copy of a message, taken when it is added (the caller may reuse its buffer and headers) and when it
 * is claimed (a transport may not change the stored row). The headers go through the lossless typed
 * JSON PgOutbox stores them in, so both outboxes hand the relay the same values — `Buffer`s stay
 * `Buffer`s (a structured clone makes them plain `Uint8Array`s, which amqplib would write as a table),
 * `Date`s, bigints and typed values keep their type.
 */
function copyMessage(message: OutboxMessage): StoredMessage {
  const { headers, ...properties } = message.properties ?? {};
  return {
    id: message.id,
    exchange: message.exchange,
    routingKey: message.routingKey,
    content: Buffer.from(message.content),
    properties: {
      ...structuredClone(properties),
      ...(headers == null
        ? {}
        : { headers: fromArchiveJson(toArchiveJson(headers)) as Record<string, unknown> }),
    },
  };
}
