import { assertCommitSubscriberArguments } from '../../deferred/commit-subscriber-arguments.js';
import type {
  EntityManager,
  EntitySubscriberInterface,
  InsertEvent,
  QueryRunner,
  RecoverEvent,
  RemoveEvent,
  SoftRemoveEvent,
  TransactionCommitEvent,
  TransactionRollbackEvent,
  TransactionStartEvent,
  UpdateEvent,
} from 'typeorm';
import { isEventsRoot, type EventsRoot } from '../../deferred/events-root.js';
import type { Flusher } from '../../deferred/flusher.js';
import { AfterCommitError } from '../../errors/after-commit-error.js';
import { TransactionStateError } from '../../errors/transaction-state-error.js';
import { optionKeys } from '../../internal/options.js';

export interface RecordedEventsSubscriberOptions {
  /**
   * What to do with an `AfterCommitError` (the transaction committed, but dispatching its events
   * failed). Without it, the error is thrown from TypeORM's commit, so `dataSource.transaction()` or
   * `manager.save()` rejects with it: its `committed: true` says not to retry the write. With it, the
   * error is handed to this function and the commit resolves.
   * @defaultValue undefined (thrown)
   */
  onAfterCommitError?: (error: AfterCommitError) => void;
}

const OPTION_KEYS = optionKeys<RecordedEventsSubscriberOptions>({ onAfterCommitError: true });

/**
 * The roots saved in one query runner's transaction, one set per level: `levels[0]` for the
 * transaction, `levels[n]` for the savepoint n levels deep.
 */
interface RunnerState {
  levels: Set<EventsRoot>[];
  /** The roots written to the outbox before `COMMIT`, dispatched once it succeeded. */
  written?: Set<EventsRoot>;
  /** Events that `flusher.transaction()` wrote itself in this transaction (see the constructor). */
  writtenByFlusher?: Set<object>;
}

/**
 * A TypeORM entity subscriber that publishes the events recorded on the entities your transactions
 * save, with no `flusher.transaction()` around them: inside each transaction, right before `COMMIT`,
 * it writes the events of every saved, updated, removed, soft-removed or recovered `EventsRoot` (an
 * `AggregateRoot` entity) through the Flusher's before-commit hooks (the outbox's rows, with
 * `bridge.useOutbox`), and once committed it dispatches them, in record order. A rollback writes and
 * dispatches nothing and leaves the events recorded on the entities; a savepoint rolled back drops the
 * roots saved since it began. It works for `dataSource.transaction()`, `manager.transaction()` and a
 * plain `manager.save()` (TypeORM wraps it in a transaction of its own).
 *
 * It needs the Flusher (it carries the hooks and the dispatcher), so register an instance after
 * `initialize()` — TypeORM's `subscribers` option takes classes it constructs itself, and
 * `initialize()` replaces the list.
 *
 * Register one per data source: two would each write the events. The dispatch runs inside TypeORM's
 * commit, so `dataSource.transaction()` and `save()` resolve once the listeners have run (as
 * `flusher.transaction()` does); a listener's failure then rejects them with an `AfterCommitError`
 * (`committed: true`), or goes to `onAfterCommitError`.
 *
 * With `flusher.transaction()` as well: the roots whose events the Flusher itself wrote in the same
 * transaction are left to it (written and dispatched once); the other entities saved there are the
 * subscriber's, as in any transaction.
 *
 * Not seen: a `save()` that changes no column (TypeORM writes, and reports, nothing), `{ listeners:
 * false }`, query-builder and `insert()`/`update()` calls given plain values: their events stay
 * recorded on the entities. Refused (`TransactionStateError`, before the write): a root with events
 * written in no transaction (`{ transaction: false }` with none open).
 *
 * @example
 * import { RecordedEventsSubscriber } from 'tidings/typeorm';
 *
 * await dataSource.initialize();
 * dataSource.subscribers.push(new RecordedEventsSubscriber(flusher));
 * await dataSource.transaction((manager) => manager.save(Order.place('o-1', 42)));
 * // OrderPlaced is in the outbox with the order, and was dispatched after COMMIT
 */
export class RecordedEventsSubscriber implements EntitySubscriberInterface {
  readonly #flusher: Flusher<EntityManager>;
  readonly #onAfterCommitError: ((error: AfterCommitError) => void) | undefined;
  // Per query runner (one connection, one transaction at a time): concurrent transactions never mix.
  readonly #runners = new WeakMap<QueryRunner, RunnerState>();

  constructor(flusher: Flusher<EntityManager>, options: RecordedEventsSubscriberOptions = {}) {
    assertCommitSubscriberArguments(flusher, options, OPTION_KEYS, 'RecordedEventsSubscriber', 'a Flusher');
    this.#flusher = flusher;
    this.#onAfterCommitError = options.onAfterCommitError;
    // flusher.transaction() runs its hooks inside its transaction before TypeORM's commit: seeing them
    // here is how a root it writes is not written a second time by this subscriber.
    flusher.addBeforeCommitHook((events, manager) => this.#noteFlusherWrites(events, manager));
  }

  /**
   * One level more on this query runner: the transaction, or a savepoint in it. The subscriber counts
   * the levels from TypeORM's own events (its `transactionDepth` is not public): a level is only left
   * by a commit or a rollback that succeeded, as TypeORM's is.
   */
  afterTransactionStart(event: TransactionStartEvent): void {
    const state = this.#runners.get(event.queryRunner);
    if (state === undefined) this.#runners.set(event.queryRunner, { levels: [new Set()] });
    else state.levels.push(new Set());
  }

  beforeInsert(event: InsertEvent<unknown>): void {
    refuseOutsideTransaction(event.queryRunner, event.entity);
  }

  beforeUpdate(event: UpdateEvent<unknown>): void {
    refuseOutsideTransaction(event.queryRunner, event.entity);
  }

  beforeRemove(event: RemoveEvent<unknown>): void {
    refuseOutsideTransaction(event.queryRunner, event.entity);
  }

  beforeSoftRemove(event: SoftRemoveEvent<unknown>): void {
    refuseOutsideTransaction(event.queryRunner, event.entity);
  }

  beforeRecover(event: RecoverEvent<unknown>): void {
    refuseOutsideTransaction(event.queryRunner, event.entity);
  }

  afterInsert(event: InsertEvent<unknown>): void {
    this.#collect(event.queryRunner, event.entity);
  }

  afterUpdate(event: UpdateEvent<unknown>): void {
    this.#collect(event.queryRunner, event.entity);
  }

  afterRemove(event: RemoveEvent<unknown>): void {
    this.#collect(event.queryRunner, event.entity);
  }

  afterSoftRemove(event: SoftRemoveEvent<unknown>): void {
    this.#collect(event.queryRunner, event.entity);
  }

  afterRecover(event: RecoverEvent<unknown>): void {
    this.#collect(event.queryRunner, event.entity);
  }

  /**
   * Fires before `COMMIT` and before each savepoint's `RELEASE`: only the former writes, since a
   * savepoint's roots may still be rolled back with the transaction around it.
   */
  async beforeTransactionCommit(event: TransactionCommitEvent): Promise<void> {
    const runner = event.queryRunner;
    const state = this.#runners.get(runner);
    if (state === undefined || state.levels.length !== 1) return;
    const byFlusher = state.writtenByFlusher;
    const roots = [...state.levels[0]!].filter(
      (root) => byFlusher === undefined || !(root.peekEvents?.() ?? []).some((e) => byFlusher.has(e)),
    );
    if (roots.length === 0) return;
    // The outbox's query() runs on the manager's query runner: it must be this one, in this transaction.
    if (event.manager.queryRunner !== runner) {
      throw new TransactionStateError(
        'RecordedEventsSubscriber: the commit event’s EntityManager is not bound to the committing query runner',
      );
    }
    state.written = new Set(roots);
    // A hook that throws rejects the commit: TypeORM then rolls back and afterTransactionRollback forgets.
    await this.#flusher.writeBeforeCommit(state.written, event.manager);
  }

  /** After `COMMIT`: dispatch. After a savepoint's `RELEASE`: its roots join the level around it. */
  async afterTransactionCommit(event: TransactionCommitEvent): Promise<void> {
    const runner = event.queryRunner;
    const state = this.#runners.get(runner);
    if (state === undefined) return;
    const released = state.levels.pop();
    const parent = state.levels.at(-1);
    if (parent !== undefined) {
      for (const root of released ?? []) parent.add(root);
      return;
    }
    this.#runners.delete(runner);
    if (state.written === undefined) return;
    try {
      await this.#flusher.dispatchAfterCommit(state.written);
    } catch (error) {
      const failure =
        error instanceof AfterCommitError
          ? error
          : new AfterCommitError(
              `The transaction was committed, but dispatching its events failed; do not retry the write.`,
              [],
              { cause: error },
            );
      if (this.#onAfterCommitError === undefined) throw failure;
      this.#onAfterCommitError(failure);
    }
  }

  /** Forgets the roots of the rolled-back level (the savepoint's, or all): their events stay recorded. */
  afterTransactionRollback(event: TransactionRollbackEvent): void {
    const runner = event.queryRunner;
    const state = this.#runners.get(runner);
    if (state === undefined) return;
    state.levels.pop();
    // A failed COMMIT leaves `written` set: the rollback that follows it must not let it be dispatched.
    state.written = undefined;
    if (state.levels.length === 0) this.#runners.delete(runner);
  }

  #collect(runner: QueryRunner | undefined, entity: unknown): void {
    // Outside a transaction, beforeInsert & co. refused the roots with events.
    if (runner === undefined || !isEventsRoot(entity) || !runner.isTransactionActive) return;
    this.#stateOf(runner).levels.at(-1)!.add(entity);
  }

  #noteFlusherWrites(events: readonly object[], manager: EntityManager): void {
    const runner = manager.queryRunner;
    if (runner === undefined || !runner.isTransactionActive) return;
    const state = this.#stateOf(runner);
    // The subscriber's own writeBeforeCommit runs these hooks too: harmless, the roots are chosen by then.
    state.writtenByFlusher ??= new Set();
    for (const event of events) state.writtenByFlusher.add(event);
  }

  #stateOf(runner: QueryRunner): RunnerState {
    let state = this.#runners.get(runner);
    if (state === undefined) {
      // The subscriber was registered while this transaction was running: count it as one level.
      state = { levels: [new Set()] };
      this.#runners.set(runner, state);
    }
    return state;
  }
}

/**
 * A write of a root with events outside any transaction (`save(…, { transaction: false })` with none
 * open) would commit on its own, with no `COMMIT` to write the events before: refused before the write,
 * as an entity with events must not be saved without them.
 */
function refuseOutsideTransaction(runner: QueryRunner | undefined, entity: unknown): void {
  if (runner === undefined || runner.isTransactionActive || !isEventsRoot(entity)) return;
  if (typeof entity.peekEvents === 'function' && entity.peekEvents().length === 0) return;
  throw new TransactionStateError(
    'RecordedEventsSubscriber: this write of an entity with recorded events runs in no transaction ' +
      "({ transaction: false }), so its events' outbox rows could not commit with it; save it in a " +
      'transaction (the default) or dataSource.transaction()',
  );
}
