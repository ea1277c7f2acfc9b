import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { describeValue } from '../internal/options.js';
import type { UnitOfWork } from './unit-of-work.js';
import { InstanceContext } from '../internal/instance-context.js';

/** The transaction handle of `InMemoryUnitOfWork`. */
export interface InMemoryTransaction {
  /** 1, 2, 3… in the order transactions were opened on this unit of work. */
  readonly id: number;
  /** 0 for an outermost transaction, 1 for one nested in it (a savepoint), and so on. */
  readonly depth: number;
  /**
   * Runs `action` when the outermost transaction commits; an action that throws makes the commit fail
   * (the transaction rolls back and `transaction()` rejects with that error).
   */
  onCommit(action: () => void | Promise<void>): void;
  /** Runs `action` (newest first) when this transaction, or the one it is nested in, rolls back. */
  onRollback(action: () => void | Promise<void>): void;
}

class Transaction implements InMemoryTransaction {
  readonly commitActions: (() => void | Promise<void>)[] = [];
  readonly rollbackActions: (() => void | Promise<void>)[] = [];

  constructor(
    readonly id: number,
    readonly depth: number,
  ) {}

  onCommit(action: () => void | Promise<void>): void {
    this.commitActions.push(assertAction(action, 'onCommit'));
  }

  onRollback(action: () => void | Promise<void>): void {
    this.rollbackActions.push(assertAction(action, 'onRollback'));
  }
}

/**
 * The embedded unit of work: no database, just commit and rollback hooks. It gives demos and unit tests
 * real transaction semantics — nesting behaves like savepoints, and a failing commit action is a failing
 * commit — so code written against `UnitOfWork` can be tested without a server.
 *
 * @example
 * const unitOfWork = new InMemoryUnitOfWork();
 * await unitOfWork.transaction(async (tx) => { tx.onRollback(() => store.undo()); store.save(order); });
 */
export class InMemoryUnitOfWork implements UnitOfWork<InMemoryTransaction> {
  readonly #current = new InstanceContext<Transaction>(this);
  #opened = 0;
  #commits = 0;
  #rollbacks = 0;

  /** Outermost transactions committed so far. */
  get commits(): number {
    return this.#commits;
  }

  /** Transactions (outermost or nested) rolled back so far. */
  get rollbacks(): number {
    return this.#rollbacks;
  }

  async transaction<T>(work: (tx: InMemoryTransaction) => Promise<T>): Promise<T> {
    if (typeof work !== 'function') {
      throw new InvalidArgumentError(`transaction: expected a function, got ${describeValue(work)}`);
    }
    const parent = this.#current.getStore();
    const tx = new Transaction(++this.#opened, parent === undefined ? 0 : parent.depth + 1);
    let result: T;
    try {
      result = await this.#current.run(tx, () => work(tx));
    } catch (error) {
      await this.#rollback(tx);
      throw error;
    }
    if (parent !== undefined) {
      // A nested transaction commits into its parent, like RELEASE SAVEPOINT: its effects become final
      // only with the outermost commit, and are undone if the parent rolls back.
      parent.commitActions.push(...tx.commitActions);
      parent.rollbackActions.push(...tx.rollbackActions);
      return result;
    }
    try {
      for (const action of tx.commitActions) await action();
    } catch (error) {
      await this.#rollback(tx);
      throw error;
    }
    this.#commits++;
    return result;
  }

  async #rollback(tx: Transaction): Promise<void> {
    this.#rollbacks++;
    for (const action of [...tx.rollbackActions].reverse()) await action();
  }
}

function assertAction(action: unknown, where: string): () => void | Promise<void> {
  if (typeof action !== 'function') {
    throw new InvalidArgumentError(`${where}: expected a function, got ${describeValue(action)}`);
  }
  return action as () => void | Promise<void>;
}
