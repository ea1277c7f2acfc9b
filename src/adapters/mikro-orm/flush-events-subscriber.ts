import { assertCommitSubscriberArguments } from '../../deferred/commit-subscriber-arguments.js';
import {
  TransactionContext,
  type EntityManager,
  type EventSubscriber,
  type FlushEventArgs,
  type TransactionEventArgs,
  type UnitOfWork as MikroUnitOfWork,
} from '@mikro-orm/core';
import { isEventsRoot, type EventsRoot } from '../../deferred/events-root.js';
import type { Flusher } from '../../deferred/flusher.js';
import { AfterCommitError } from '../../errors/after-commit-error.js';
import { TransactionStateError } from '../../errors/transaction-state-error.js';
import { optionKeys } from '../../internal/options.js';
import {
  isTransactionContext,
  savepointChain,
  wasRolledBack,
  watchSavepoint,
  type SavepointChain,
} from './savepoint-chain.js';

export interface FlushEventsSubscriberOptions {
  /**
   * Receives the `AfterCommitError` of a dispatch that failed after the commit (a listener threw): the
   * flush or transaction then resolves, since what it wrote is committed.
   * @defaultValue none: the error rejects the `em.flush()`, `em.transactional()` or `em.commit()` that
   * committed (see the class's "Errors")
   */
  onAfterCommitError?: (error: AfterCommitError) => void;
}

const OPTION_KEYS = optionKeys<FlushEventsSubscriberOptions>({ onAfterCommitError: true });

/** The roots one flush collected, with where it ran: a savepoint rolled back afterwards drops them. */
interface Collected {
  readonly roots: readonly EventsRoot[];
  readonly chain: SavepointChain;
}

/**
 * Makes `em.flush()` the Flusher: the entities of a flush that record events (`AggregateRoot`, any
 * `EventsRoot`) have them written by the Flusher's before-commit hooks (the outbox's rows) in the
 * transaction that saves them, right before its `COMMIT`, and dispatched once it has committed. A
 * flush or transaction that rolls back — an error, a constraint failing at `COMMIT`, a before-commit
 * hook that throws, a savepoint rolled back — writes and dispatches nothing, and the events stay
 * recorded on the entities.
 *
 * Collected in `onFlush` are the created, updated and deleted entities of the flush (an aggregate's
 * last events, such as `OrderCancelled`, are often recorded by the change that deletes it). An entity
 * that recorded events but has no change to flush is not part of a flush: use `flusher.transaction()`
 * for it. Roots are kept per root transaction: a flush outside a transaction (MikroORM's implicit one),
 * one inside `em.transactional()` or `em.begin()` (written at that transaction's commit) and concurrent
 * forks never share them.
 *
 * With `flusher.transaction()` as well: the roots whose events the Flusher itself wrote in the same
 * transaction are left to it (written and dispatched once).
 *
 * Dispatch: after an implicit transaction, in the flush's `afterFlush` (so `em.flush()` resolves once
 * listeners ran); after `em.transactional()` or `em.commit()`, in `afterTransactionCommit`, with a fresh
 * fork as the context's EntityManager (the transaction's own has ended). Listeners must not flush the
 * EntityManager being flushed (MikroORM refuses a flush inside its hooks): fork it.
 *
 * Errors: a before-commit hook that throws rolls the transaction back and rejects the flush with its
 * error. A dispatch that fails is an `AfterCommitError` (`committed: true`, do not retry): it rejects
 * `em.flush()`; thrown from `afterTransactionCommit`, it also makes MikroORM run its rollback of the
 * already committed transaction, which changes nothing in the database but calls
 * `afterTransactionRollback` subscribers — give `onAfterCommitError` to handle it without either.
 *
 * @example
 * import { FlushEventsSubscriber, MikroOrmUnitOfWork } from 'tidings/mikro-orm';
 *
 * const flusher = new Flusher({ dispatcher, unitOfWork: new MikroOrmUnitOfWork(orm.em) });
 * bridge.useOutbox(flusher, outbox, relay);
 * orm.em.getEventManager().registerSubscriber(new FlushEventsSubscriber(flusher));
 *
 * const em = orm.em.fork();
 * em.persist(Order.place('o-1', 42));
 * await em.flush(); // the order row and its OrderPlaced outbox row commit together, then dispatch
 */
// EM: the EntityManager type of the Flusher's MikroOrmUnitOfWork (`SqlEntityManager` of a driver package,
// say); the forks this subscriber hands the Flusher are of the same ORM, so of that type.
export class FlushEventsSubscriber<EM extends EntityManager = EntityManager> implements EventSubscriber {
  readonly #flusher: Flusher<EM>;
  readonly #onAfterCommitError: ((error: AfterCommitError) => void) | undefined;
  /** Roots of flushes outside a transaction: their implicit transaction starts after `onFlush`. */
  readonly #implicit = new WeakMap<MikroUnitOfWork, readonly EventsRoot[]>();
  /** Roots of flushes inside a transaction, by its root transaction. */
  readonly #collected = new WeakMap<object, Collected[]>();
  /** What was written before a commit, to dispatch after it, by root transaction. */
  readonly #written = new WeakMap<object, readonly EventsRoot[]>();
  /** Roots committed by an implicit transaction, dispatched in that flush's `afterFlush`. */
  readonly #committed = new WeakMap<MikroUnitOfWork, readonly EventsRoot[]>();
  /** Events that `flusher.transaction()` wrote itself, by root transaction (see the constructor). */
  readonly #writtenByFlusher = new WeakMap<object, Set<object>>();
  /** The forks this subscriber writes through, so its own writes are not taken for the Flusher's. */
  readonly #ownForks = new WeakSet<EntityManager>();

  constructor(flusher: Flusher<EM>, options: FlushEventsSubscriberOptions = {}) {
    assertCommitSubscriberArguments(
      flusher,
      options,
      OPTION_KEYS,
      'FlushEventsSubscriber',
      'a Flusher over a MikroOrmUnitOfWork',
    );
    this.#flusher = flusher;
    this.#onAfterCommitError = options.onAfterCommitError;
    // flusher.transaction() runs its hooks inside its transaction before MikroORM's commit: seeing them
    // here is how a root it writes is not written a second time by this subscriber.
    flusher.addBeforeCommitHook((events, em) => this.#noteFlusherWrites(events, em));
  }

  onFlush(args: FlushEventArgs): void {
    const roots = eventRoots(args.uow);
    const context: unknown = args.em.getTransactionContext();
    if (isTransactionContext(context)) {
      if (roots.length === 0) return;
      const chain = savepointChain(context);
      for (const savepoint of chain.savepoints) watchSavepoint(savepoint);
      const list = this.#collected.get(chain.root) ?? [];
      list.push({ roots, chain });
      this.#collected.set(chain.root, list);
      return;
    }
    // A unit of work runs one flush at a time, and each sets what its implicit transaction will commit:
    // what a failed flush left behind is replaced here, never committed by the next one.
    this.#implicit.delete(args.uow);
    if (roots.length === 0) return;
    if (
      !args.em.getPlatform().supportsTransactions() ||
      args.em.config.get('implicitTransactions') !== true
    ) {
      throw new TransactionStateError(
        'FlushEventsSubscriber: this flush runs in no transaction (implicitTransactions is off), so the ' +
          "events' outbox rows could not commit with the entities; flush inside em.transactional()",
      );
    }
    this.#implicit.set(args.uow, roots);
  }

  async beforeTransactionCommit(args: TransactionEventArgs): Promise<void> {
    const transaction = transactionOf(args);
    if (transaction === undefined) return;
    const roots = this.#rootsToWrite(transaction, args.uow);
    if (roots.length === 0) return;
    const em = args.em.fork({ clear: true, disableContextResolution: true });
    em.setTransactionContext(transaction);
    this.#ownForks.add(em);
    this.#written.set(transaction, roots);
    // A hook that throws rejects this event, and MikroORM rolls the transaction back.
    await this.#flusher.writeBeforeCommit(roots, em as EM);
  }

  async afterTransactionCommit(args: TransactionEventArgs): Promise<void> {
    const transaction = transactionOf(args);
    if (transaction === undefined) return;
    const roots = this.#written.get(transaction);
    this.#forget(transaction, args.uow);
    if (roots === undefined) return;
    if (args.uow !== undefined) {
      // The implicit transaction of a flush: the flush still has to reset the EntityManager's
      // transaction context, which listeners may use; afterFlush comes after that.
      this.#committed.set(args.uow, roots);
      return;
    }
    // The transaction's EntityManager (the context's, inside em.transactional) still holds the ended
    // transaction: listeners that use the context's EntityManager get a fresh fork instead.
    const fresh = args.em.fork({ clear: true, disableContextResolution: true });
    await TransactionContext.create(fresh, () => this.#dispatch(roots));
  }

  afterTransactionRollback(args: TransactionEventArgs): void {
    const transaction = transactionOf(args);
    if (transaction !== undefined) this.#forget(transaction, args.uow);
  }

  async afterFlush(args: FlushEventArgs): Promise<void> {
    const roots = this.#committed.get(args.uow);
    if (roots === undefined) return;
    this.#committed.delete(args.uow);
    await this.#dispatch(roots);
  }

  #rootsToWrite(transaction: object, uow: MikroUnitOfWork | undefined): EventsRoot[] {
    const roots = new Set<EventsRoot>();
    // Only an implicit transaction comes with its unit of work (MikroORM's TransactionEventBroadcaster).
    for (const root of (uow === undefined ? undefined : this.#implicit.get(uow)) ?? []) roots.add(root);
    for (const { roots: flushed, chain } of this.#collected.get(transaction) ?? []) {
      if (wasRolledBack(chain)) continue;
      for (const root of flushed) roots.add(root);
    }
    const byFlusher = this.#writtenByFlusher.get(transaction);
    if (byFlusher === undefined) return [...roots];
    return [...roots].filter((root) => !(root.peekEvents?.() ?? []).some((event) => byFlusher.has(event)));
  }

  #forget(transaction: object, uow: MikroUnitOfWork | undefined): void {
    this.#collected.delete(transaction);
    this.#written.delete(transaction);
    this.#writtenByFlusher.delete(transaction);
    if (uow !== undefined) this.#implicit.delete(uow);
  }

  #noteFlusherWrites(events: readonly object[], em: EntityManager): void {
    if (this.#ownForks.has(em)) return;
    const context: unknown = em.getTransactionContext?.();
    if (!isTransactionContext(context)) return;
    const { root } = savepointChain(context);
    const noted = this.#writtenByFlusher.get(root) ?? new Set<object>();
    for (const event of events) noted.add(event);
    this.#writtenByFlusher.set(root, noted);
  }

  async #dispatch(roots: readonly EventsRoot[]): Promise<void> {
    try {
      await this.#flusher.dispatchAfterCommit(roots);
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
}

/** The entities of the flush's change sets that have events to write (or that cannot say: no peek). */
function eventRoots(uow: MikroUnitOfWork): EventsRoot[] {
  const roots: EventsRoot[] = [];
  for (const changeSet of uow.getChangeSets()) {
    const entity: unknown = changeSet.entity;
    if (!isEventsRoot(entity)) continue;
    if (typeof entity.peekEvents === 'function' && entity.peekEvents().length === 0) continue;
    roots.push(entity);
  }
  return roots;
}

function transactionOf(args: TransactionEventArgs): object | undefined {
  const transaction: unknown = args.transaction;
  return isTransactionContext(transaction) ? transaction : undefined;
}
