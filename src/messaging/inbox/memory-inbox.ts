import type { InMemoryTransaction } from '../../deferred/in-memory-unit-of-work.js';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { describeValue } from '../../internal/options.js';
import type { Inbox } from './inbox.js';

/**
 * The embedded inbox, for tests and the demo: a record becomes permanent when the `InMemoryUnitOfWork`
 * transaction commits and disappears if it rolls back.
 */
export class MemoryInbox implements Inbox<InMemoryTransaction> {
  readonly #processed = new Set<string>();
  readonly #pending = new Set<string>();

  record(consumer: string, messageId: string, tx: InMemoryTransaction): Promise<boolean> {
    if (typeof tx?.onCommit !== 'function') {
      throw new InvalidArgumentError(
        `MemoryInbox.record: expected an InMemoryTransaction, got ${describeValue(tx)}`,
      );
    }
    const key = `${consumer.length}:${consumer}:${messageId}`;
    // Pending records count too: two deliveries of one message in flight at once must not both run.
    if (this.#processed.has(key) || this.#pending.has(key)) return Promise.resolve(false);
    this.#pending.add(key);
    tx.onCommit(() => {
      this.#pending.delete(key);
      this.#processed.add(key);
    });
    tx.onRollback(() => void this.#pending.delete(key));
    return Promise.resolve(true);
  }
}
