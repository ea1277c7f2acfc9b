import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { InstanceContext } from './instance-context.js';
import { parentBusyError, parentEndedError } from './nesting-errors.js';
import { describeValue } from './options.js';

/** One transaction level of a unit of work: the outermost (depth 0) or one nested in it. */
export interface TransactionFrame<Tx> {
  /** The handle the level's `work` was given. */
  readonly tx: Tx;
  readonly depth: number;
}

interface Frame<Tx> extends TransactionFrame<Tx> {
  /** Set once the level's work has settled: a nested call that escaped it is refused. */
  ended: boolean;
  /** A nested transaction is running at this level (savepoints nest, they cannot run side by side). */
  busy: boolean;
}

/**
 * Finds the transaction a call runs in, for the ORM adapters: `transaction()` inside another's `work`
 * must nest in it (a savepoint) without being handed its handle, as `PgUnitOfWork` does. The adapter
 * says how to begin a transaction and how to nest one in a running one; this keeps track of which
 * one is running (through `AsyncLocalStorage`) and refuses the calls that would misuse a connection.
 */
export class TransactionScope<Tx> {
  readonly #frames = new InstanceContext<Frame<Tx>>(this);

  /** Whether the caller runs inside a transaction of this scope that has not ended (any depth). */
  get inTransaction(): boolean {
    const frame = this.#frames.getStore();
    return frame !== undefined && !frame.ended;
  }

  /**
   * Runs `work` through `begin` (no transaction around the caller) or `nest` (inside `parent`), each
   * given `run`: what the ORM's callback must call with the handle of the transaction it opened.
   */
  transaction<T>(
    work: (tx: Tx) => Promise<T>,
    begin: (run: (tx: Tx) => Promise<T>) => Promise<T>,
    nest: (parent: TransactionFrame<Tx>, run: (tx: Tx) => Promise<T>) => Promise<T>,
  ): Promise<T> {
    if (typeof work !== 'function') {
      return Promise.reject(
        new InvalidArgumentError(`transaction: expected a function, got ${describeValue(work)}`),
      );
    }
    const parent = this.#frames.getStore();
    const depth = parent === undefined ? 0 : parent.depth + 1;
    const run = async (tx: Tx): Promise<T> => {
      const frame: Frame<Tx> = { tx, depth, ended: false, busy: false };
      try {
        return await this.#frames.run(frame, () => work(tx));
      } finally {
        frame.ended = true;
      }
    };
    if (parent === undefined) return begin(run);
    if (parent.ended) return Promise.reject(parentEndedError());
    if (parent.busy) return Promise.reject(parentBusyError());
    parent.busy = true;
    let nested: Promise<T>;
    try {
      nested = nest(parent, run);
    } catch (error) {
      parent.busy = false;
      return Promise.reject(error);
    }
    return nested.finally(() => {
      parent.busy = false;
    });
  }
}
