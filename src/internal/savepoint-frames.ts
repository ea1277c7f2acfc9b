import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { InstanceContext } from './instance-context.js';
import { childStillRunningError, parentBusyError, parentEndedError } from './nesting-errors.js';
import { describeValue } from './options.js';

/** One transaction level on a driver connection: the outermost transaction (depth 0) or a savepoint. */
export interface SavepointFrame<Connection> {
  readonly connection: Connection;
  readonly depth: number;
  /** Set once the level has committed or rolled back: a nested call that escaped it is refused. */
  ended: boolean;
  /** The nested transaction running at this level, settled (never rejects). */
  child: Promise<void> | undefined;
}

const noop = (): void => {};

/**
 * The transaction levels of a driver-level unit of work (`PgUnitOfWork`, `MysqlUnitOfWork`), which
 * runs `BEGIN`, `SAVEPOINT`, `COMMIT` itself: finds the level a `transaction()` call runs in (through
 * the library's async context, so nested calls need not be handed the connection), refuses the calls
 * that would misuse a connection, and runs each level's work so that a nested transaction left
 * running is waited for and reported. The adapter keeps the SQL and its error handling.
 */
export class SavepointFrames<Connection> {
  readonly #frames: InstanceContext<SavepointFrame<Connection>>;

  constructor(owner: object) {
    this.#frames = new InstanceContext(owner);
  }

  /** The level the caller runs in, if any. */
  get current(): SavepointFrame<Connection> | undefined {
    return this.#frames.getStore();
  }

  /** Whether the caller runs inside a transaction that has not ended (any depth). */
  get inTransaction(): boolean {
    const frame = this.#frames.getStore();
    return frame !== undefined && !frame.ended;
  }

  /**
   * Validates `work`, then runs `outermost(work)` when the caller is in no transaction, or
   * `nested(parent, work)` — at most one at a time per level, claimed synchronously so that two nested
   * calls started in the same tick cannot both pass.
   */
  transaction<Work extends (...args: never[]) => unknown, T>(
    work: Work,
    outermost: (work: Work) => Promise<T>,
    nested: (parent: SavepointFrame<Connection>, work: Work) => Promise<T>,
  ): Promise<T> {
    if (typeof work !== 'function') {
      return Promise.reject(
        new InvalidArgumentError(`transaction: expected a function, got ${describeValue(work)}`),
      );
    }
    const parent = this.#frames.getStore();
    if (parent === undefined) return outermost(work);
    if (parent.ended) return Promise.reject(parentEndedError());
    if (parent.child !== undefined) return Promise.reject(parentBusyError());
    const running = nested(parent, work);
    const child = running.then(noop, noop);
    parent.child = child;
    return running.finally(() => {
      if (parent.child === child) parent.child = undefined;
    });
  }

  /**
   * Runs a level's `work` as the current level and marks the level ended once it settled. A nested
   * transaction still running then is waited for; if `work` resolved meanwhile, it rejects with a
   * `TransactionStateError` (a missing `await`), so the adapter rolls the level back.
   */
  async runLevel<T>(frame: SavepointFrame<Connection>, work: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await this.#frames.run(frame, work);
      if (await waitForChild(frame)) throw childStillRunningError();
    } catch (error) {
      await waitForChild(frame);
      frame.ended = true;
      throw error;
    }
    frame.ended = true;
    return result;
  }
}

/** Waits for a nested transaction still running at this level to settle; whether there was one. */
async function waitForChild(frame: SavepointFrame<unknown>): Promise<boolean> {
  const child = frame.child;
  if (child === undefined) return false;
  await child;
  return true;
}
