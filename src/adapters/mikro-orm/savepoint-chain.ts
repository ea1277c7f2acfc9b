/**
 * What `FlushEventsSubscriber` needs to know of MikroORM's SQL transactions, which are Knex transactions
 * (`em.getTransactionContext()`): Knex sets `parentTransaction` on a savepoint's transaction, and MikroORM
 * ends a savepoint with its `rollback()` (`ROLLBACK TO SAVEPOINT`) or `commit()` (`RELEASE SAVEPOINT`).
 *
 * MikroORM fires its transaction events for the root transaction only, so a rolled-back savepoint is
 * seen nowhere else: the subscriber needs it to leave out what a flush inside it collected.
 */
interface KnexTransaction {
  parentTransaction?: unknown;
  rollback?: unknown;
}

/** The savepoints known to have been rolled back (to), across every subscriber: it is a fact of the trx. */
const rolledBack = new WeakSet<object>();
const watched = new WeakSet<object>();

/** A transaction context as a flush sees it: the root transaction and the savepoints it is inside of. */
export interface SavepointChain {
  /** The transaction whose `COMMIT` fires MikroORM's `beforeTransactionCommit`. */
  readonly root: object;
  /** From the innermost savepoint outwards; empty when the flush ran in the root transaction itself. */
  readonly savepoints: readonly object[];
}

/** Knex's transaction objects are functions (a Knex instance bound to the transaction's connection). */
export function isTransactionContext(value: unknown): value is object {
  return (typeof value === 'object' || typeof value === 'function') && value !== null;
}

/** Walks `context` (a transaction context of MikroORM's SQL drivers) up to its root transaction. */
export function savepointChain(context: object): SavepointChain {
  const savepoints: object[] = [];
  let current = context;
  for (;;) {
    const parent = (current as KnexTransaction).parentTransaction;
    if (!isTransactionContext(parent)) return { root: current, savepoints };
    savepoints.push(current);
    current = parent;
  }
}

/**
 * Remembers when `savepoint` is rolled back: Knex's transaction objects take their `rollback` as an own
 * property (not from a prototype), and MikroORM calls it for `ROLLBACK TO SAVEPOINT`, so wrapping it on
 * this one object sees the rollback without touching any other transaction. It is marked before the
 * statement runs: if `ROLLBACK TO SAVEPOINT` itself fails, the transaction is unusable anyway.
 */
export function watchSavepoint(savepoint: object): void {
  if (watched.has(savepoint)) return;
  const transaction = savepoint as KnexTransaction;
  const rollback = transaction.rollback;
  if (typeof rollback !== 'function') return;
  watched.add(savepoint);
  transaction.rollback = function (this: unknown, ...args: unknown[]): unknown {
    rolledBack.add(savepoint);
    return (rollback as (...a: unknown[]) => unknown).apply(this, args);
  };
}

/** Whether any savepoint of `chain` was rolled back: what was written inside it is not committed. */
export function wasRolledBack(chain: SavepointChain): boolean {
  return chain.savepoints.some((savepoint) => rolledBack.has(savepoint));
}
