import type { Unsubscribe } from '../dispatcher/event-types.js';
import { AfterCommitError } from '../errors/after-commit-error.js';
import { FlushLoopLimitError } from '../errors/flush-loop-limit-error.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { assertKnownOptions, describeValue, integerOption, optionKeys } from '../internal/options.js';
import { isEventsRoot, type EventsRoot } from './events-root.js';
import { InMemoryUnitOfWork, type InMemoryTransaction } from './in-memory-unit-of-work.js';
import { sortByRecordOrder } from './record-sequence.js';
import { collectRecordingRoots } from './recording-scope.js';
import type { UnitOfWork } from './unit-of-work.js';
import { InstanceContext } from '../internal/instance-context.js';

/** What the Flusher needs of a dispatcher: `EventDispatcher` fits. */
export interface EventDispatching {
  dispatch(event: object): Promise<unknown>;
}

/**
 * Runs inside the transaction, after the caller's work and before the commit, with every event about
 * to be released. This is where the outbox writes the rows of events forwarded to the broker, so they
 * commit (or roll back) together with the business data. A hook that throws rolls the transaction back.
 */
export type BeforeCommitHook<Tx> = (events: readonly object[], tx: Tx) => void | Promise<void>;

/** Runs right after a flush's transaction committed, before its events are dispatched (a relay's nudge). */
export type AfterCommitHook = () => void;

export interface FlusherBaseOptions<Tx> {
  /** Where released events are dispatched. */
  dispatcher: EventDispatching;
  /**
   * Hooks run before commit (see `BeforeCommitHook`); more can be added with `addBeforeCommitHook`.
   * @defaultValue []
   */
  beforeCommit?: readonly BeforeCommitHook<Tx>[];
  /**
   * How many dispatch rounds one flush may run: round 1 dispatches the committed events, round N+1 the
   * events listeners recorded on the flushed roots during round N. Exceeding it is a `FlushLoopLimitError`.
   * @defaultValue 10
   */
  maxRounds?: number;
}

/**
 * Options of a `Flusher`. `unitOfWork` (the transaction boundary) defaults to a new
 * `InMemoryUnitOfWork`, and so may only be left out when `Tx` is its transaction type.
 */
export type FlusherOptions<Tx> = FlusherBaseOptions<Tx> &
  (InMemoryTransaction extends Tx
    ? {
        /** @defaultValue `new InMemoryUnitOfWork()` */
        unitOfWork?: UnitOfWork<Tx>;
      }
    : { unitOfWork: UnitOfWork<Tx> });

const OPTION_KEYS = optionKeys<FlusherOptions<unknown>>({
  dispatcher: true,
  unitOfWork: true,
  beforeCommit: true,
  maxRounds: true,
});

/** Handed to a `transaction()` callback to name roots besides (or instead of) returning them. */
export interface FlushScope {
  track(...roots: EventsRoot[]): void;
}

interface FlushContext {
  readonly roots: Set<EventsRoot>;
}

/**
 * Commits first, then releases and dispatches: the events recorded on aggregates are dispatched only
 * after the transaction that saved them has committed, in the order they were recorded (across roots).
 * If the commit fails, nothing is dispatched and the events stay recorded on their roots.
 *
 * @example
 * const flusher = new Flusher({ dispatcher, unitOfWork });
 * order.place();
 * await flusher.flush(order); // commit, then dispatch OrderPlaced
 *
 * await flusher.transaction(async (tx) => {
 *   await orders.save(order, tx);
 *   return [order];             // the roots whose events to release after commit
 * });
 */
export class Flusher<Tx = InMemoryTransaction> {
  readonly #dispatcher: EventDispatching;
  readonly #unitOfWork: UnitOfWork<Tx>;
  readonly #hooks: BeforeCommitHook<Tx>[];
  readonly #afterCommitHooks: AfterCommitHook[] = [];
  readonly #maxRounds: number;
  readonly #context = new InstanceContext<FlushContext>(this);

  constructor(options: FlusherOptions<Tx>) {
    assertKnownOptions(options, OPTION_KEYS, 'Flusher');
    if (typeof options?.dispatcher?.dispatch !== 'function') {
      throw new InvalidArgumentError(`Flusher: "dispatcher" must have a dispatch() method`);
    }
    if (options.unitOfWork !== undefined && typeof options.unitOfWork.transaction !== 'function') {
      throw new InvalidArgumentError(`Flusher: "unitOfWork" must have a transaction() method`);
    }
    this.#dispatcher = options.dispatcher;
    this.#unitOfWork = options.unitOfWork ?? (new InMemoryUnitOfWork() as unknown as UnitOfWork<Tx>);
    this.#hooks = [];
    for (const hook of options.beforeCommit ?? []) this.addBeforeCommitHook(hook);
    this.#maxRounds = integerOption(options.maxRounds, 10, 'Flusher: maxRounds', 1);
  }

  /** Adds a hook that runs inside each flush's transaction before commit; returns its removal. */
  addBeforeCommitHook(hook: BeforeCommitHook<Tx>): Unsubscribe {
    if (typeof hook !== 'function') {
      throw new InvalidArgumentError(`addBeforeCommitHook: expected a function, got ${describeValue(hook)}`);
    }
    this.#hooks.push(hook);
    return () => {
      const index = this.#hooks.indexOf(hook);
      if (index !== -1) this.#hooks.splice(index, 1);
    };
  }

  /**
   * Adds a hook that runs right after each flush's commit, before dispatch (e.g. to wake an outbox relay);
   * returns its removal. A hook that throws is reported as an `AfterCommitError`.
   */
  addAfterCommitHook(hook: AfterCommitHook): Unsubscribe {
    if (typeof hook !== 'function') {
      throw new InvalidArgumentError(`addAfterCommitHook: expected a function, got ${describeValue(hook)}`);
    }
    this.#afterCommitHooks.push(hook);
    return () => {
      const index = this.#afterCommitHooks.indexOf(hook);
      if (index !== -1) this.#afterCommitHooks.splice(index, 1);
    };
  }

  /**
   * Runs one transaction and, once it has committed, releases the roots' events and dispatches them in
   * record order. Resolves to the dispatched events.
   */
  flush(...roots: EventsRoot[]): Promise<object[]> {
    return this.transaction(() => Promise.resolve(roots));
  }

  /**
   * Runs `work` in a transaction of the unit of work; `work` does its writes with `tx`. The roots whose
   * events are released after commit are those that record an event while `work` runs, and those it
   * returns or `scope.track`s (a root that recorded before). Resolves to the dispatched events.
   *
   * Nested calls (inside another `transaction` or `flush`) run in the unit of work's nested transaction
   * (a savepoint where supported); their roots join the outermost flush, which alone releases events.
   *
   * Errors: the transaction's own error when it rolled back (nothing dispatched, events still
   * recorded); an `AfterCommitError` when it committed but dispatching failed.
   */
  async transaction(
    work: (tx: Tx, scope: FlushScope) => Promise<Iterable<EventsRoot> | void>,
  ): Promise<object[]> {
    if (typeof work !== 'function') {
      throw new InvalidArgumentError(`transaction: expected a function, got ${describeValue(work)}`);
    }
    const outer = this.#context.getStore();
    if (outer !== undefined) {
      await this.#unitOfWork.transaction(async (tx) => {
        const nested = new Set<EventsRoot>();
        // Roots recording in here join the outer flush only if this nested transaction commits.
        await collectRecordingRoots(nested, async () => trackAll(nested, await work(tx, scopeOf(nested))));
        for (const root of nested) outer.roots.add(root);
      });
      return [];
    }

    const context: FlushContext = { roots: new Set() };
    await this.#unitOfWork.transaction((tx) =>
      this.#context.run(context, async () => {
        await collectRecordingRoots(context.roots, async () =>
          trackAll(context.roots, await work(tx, scopeOf(context.roots))),
        );
        if (this.#hooks.length > 0) await this.#runHooks(peekAll(context.roots), tx);
      }),
    );
    // Committed: from here on, a failure must say so (AfterCommitError), so the caller does not retry.
    this.#afterCommit();
    return this.#dispatchCommitted(context.roots);
  }

  /**
   * For a transaction the Flusher does not run itself (an ORM's own flush or transaction, seen through
   * the ORM's hooks, as `tidings/mikro-orm` and `tidings/typeorm` do): call it inside that transaction,
   * right before its `COMMIT`, with the roots it saved. Runs the before-commit hooks (the outbox's writes)
   * in `tx` on their events, which stay recorded; a hook that throws should make the caller roll back.
   * Then, once committed, `dispatchAfterCommit(roots)`; after a rollback, nothing.
   */
  async writeBeforeCommit(roots: Iterable<EventsRoot>, tx: Tx): Promise<void> {
    const tracked = new Set<EventsRoot>();
    trackAll(tracked, roots);
    if (this.#hooks.length > 0) await this.#runHooks(peekAll(tracked), tx);
  }

  /**
   * The second half of `writeBeforeCommit`, once the transaction committed: runs the after-commit hooks,
   * releases the roots' events and dispatches them in record order (listeners' further events in later
   * rounds, as `transaction` does). Errors are `AfterCommitError`s: the write must not be retried.
   */
  async dispatchAfterCommit(roots: Iterable<EventsRoot>): Promise<object[]> {
    const tracked = new Set<EventsRoot>();
    trackAll(tracked, roots);
    this.#afterCommit();
    return this.#dispatchCommitted(tracked);
  }

  async #dispatchCommitted(roots: Set<EventsRoot>): Promise<object[]> {
    const dispatched: object[] = [];
    let events = releaseAll(roots);
    for (let round = 1; events.length > 0; round++) {
      if (round > this.#maxRounds) throw new FlushLoopLimitError(this.#maxRounds, events);
      for (let index = 0; index < events.length; index++) {
        const event = events[index]!;
        try {
          await this.#dispatcher.dispatch(event);
        } catch (error) {
          const rest = events.slice(index);
          throw new AfterCommitError(
            `The transaction was committed, but a listener failed while dispatching its events ` +
              `(${describeError(error)}); do not retry the write. ${rest.length} event(s) were not ` +
              `fully dispatched (see "undispatched").`,
            rest,
            { cause: error },
          );
        }
        dispatched.push(event);
      }
      events = await this.#commitRecordedAfterCommit(roots);
    }
    return dispatched;
  }

  /**
   * Events that listeners recorded on the flushed roots during a dispatch round. When hooks exist they
   * get a transaction of their own, so what the outbox writes is still committed before it is dispatched.
   */
  async #commitRecordedAfterCommit(roots: Set<EventsRoot>): Promise<object[]> {
    if (this.#hooks.length === 0) return releaseAll(roots);
    const events = peekAll(roots);
    if (events.length === 0) return [];
    try {
      await this.#unitOfWork.transaction((tx) => this.#runHooks(events, tx));
      this.#afterCommit();
    } catch (error) {
      throw new AfterCommitError(
        `The transaction was committed and its events dispatched, but committing the ${events.length} ` +
          `event(s) that listeners recorded afterwards failed (${describeError(error)}); they are still ` +
          `recorded on their roots.`,
        [],
        { cause: error },
      );
    }
    return releaseAll(roots);
  }

  #afterCommit(): void {
    for (const hook of [...this.#afterCommitHooks]) {
      try {
        hook();
      } catch (error) {
        throw new AfterCommitError(
          `The transaction was committed, but an after-commit hook failed (${describeError(error)}); do not retry the write.`,
          [],
          { cause: error },
        );
      }
    }
  }

  async #runHooks(events: readonly object[], tx: Tx): Promise<void> {
    if (events.length === 0) return;
    for (const hook of [...this.#hooks]) await hook(events, tx);
  }
}

function scopeOf(roots: Set<EventsRoot>): FlushScope {
  return { track: (...tracked: EventsRoot[]) => trackAll(roots, tracked) };
}

function trackAll(into: Set<EventsRoot>, roots: Iterable<EventsRoot> | void): void {
  if (roots === undefined || roots === null) return;
  if (typeof (roots as Partial<Iterable<EventsRoot>>)[Symbol.iterator] !== 'function') {
    throw new InvalidArgumentError(
      `Flusher: expected the roots to release (an array of EventsRoot), got ${describeValue(roots)}`,
    );
  }
  for (const root of roots) {
    if (!isEventsRoot(root)) {
      throw new InvalidArgumentError(
        `Flusher: ${describeValue(root)} is not an EventsRoot (it has no releaseEvents() method)`,
      );
    }
    into.add(root);
  }
}

function peekAll(roots: Set<EventsRoot>): object[] {
  const events: object[] = [];
  for (const root of roots) {
    if (typeof root.peekEvents !== 'function') {
      throw new InvalidArgumentError(
        `Flusher: ${describeValue(root)} has no peekEvents(), which before-commit hooks need to see its ` +
          `events inside the transaction (extend AggregateRoot or use Recorder())`,
      );
    }
    events.push(...root.peekEvents());
  }
  return sortByRecordOrder(events);
}

function releaseAll(roots: Set<EventsRoot>): object[] {
  const events: object[] = [];
  for (const root of roots) events.push(...root.releaseEvents());
  return sortByRecordOrder(events);
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
