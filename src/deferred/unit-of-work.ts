/**
 * The framework-neutral transaction contract tidings needs from a persistence layer: run `work` in one
 * transaction, **commit when it resolves, roll back when it throws**, and settle with its result or
 * error. Adapters for ORMs are a few lines (see the README).
 */
export interface UnitOfWork<Tx = unknown> {
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
}
