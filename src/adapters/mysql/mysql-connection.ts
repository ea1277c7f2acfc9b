// One checked-out mysql2 connection of a MysqlUnitOfWork, and what may end its transaction behind the
// code's back: a broken connection, InnoDB's rollback of a whole transaction on a deadlock, an implicit
// commit by DDL. MySQL does not refuse COMMIT after those, so this file is where they are noticed.
import type { PoolConnection } from 'mysql2/promise';
import { TransactionStateError } from '../../errors/transaction-state-error.js';

/** `SERVER_STATUS_IN_TRANS`: the server's status flag "a transaction is open", in every OK packet. */
const SERVER_STATUS_IN_TRANS = 0x0001;
/** ER_LOCK_DEADLOCK: InnoDB rolled the whole transaction back, not only the statement. */
const ER_LOCK_DEADLOCK = 1213;

/** What a mysql2 error carries that tells whether the connection or the transaction survived it. */
interface DriverError {
  errno?: unknown;
  fatal?: unknown;
}

/** One checked-out connection, and whether it can still be trusted (see `release`). */
export class Connection {
  /** Set when the connection emitted `'error'` or a control statement failed: it is destroyed. */
  #broken: unknown;
  /** Set when the server is known to have rolled the whole transaction back (a deadlock). */
  rolledBack: unknown;
  readonly #onError = (error: unknown): void => {
    // mysql2 emits a fatal error on a pool connection as well as rejecting the pending query: without
    // this listener a connection that dies mid-transaction could crash the process.
    this.#broken ??= error;
  };

  constructor(readonly connection: PoolConnection) {
    connection.connection.on('error', this.#onError);
  }

  get broken(): unknown {
    return this.#broken;
  }

  markBroken(error: unknown): void {
    this.#broken ??= error;
  }

  /** Notes what a failed statement says about the connection and the transaction. */
  noteFailure(error: unknown): void {
    const { errno, fatal } = (error ?? {}) as DriverError;
    if (fatal === true) this.markBroken(error);
    if (errno === ER_LOCK_DEADLOCK) this.rolledBack ??= error;
  }

  /** Whether the last answer of the server said a transaction was open. */
  get inServerTransaction(): boolean {
    const status = (this.connection.connection as unknown as { serverStatus?: unknown }).serverStatus;
    return typeof status !== 'number' || (status & SERVER_STATUS_IN_TRANS) !== 0;
  }

  /** Returns the connection to the pool, or destroys it if it is broken. */
  release(): void {
    this.connection.connection.off('error', this.#onError);
    if (this.#broken === undefined) this.connection.release();
    else this.connection.destroy();
  }
}

/** Why the transaction can no longer be committed, or undefined if it can. */
export function transactionLost(connection: Connection): TransactionStateError | undefined {
  if (connection.rolledBack !== undefined) {
    return new TransactionStateError(
      'transaction: InnoDB rolled the whole transaction back on a deadlock, whose error was caught ' +
        'inside it; nothing was committed, retry the unit of work',
      { cause: connection.rolledBack },
    );
  }
  if (connection.broken !== undefined) {
    return new TransactionStateError(
      'transaction: the connection broke during the transaction (its error was caught inside it); ' +
        'nothing was committed',
      { cause: connection.broken },
    );
  }
  if (!connection.inServerTransaction) {
    return new TransactionStateError(
      'transaction: the transaction ended before COMMIT — InnoDB rolled it back (a deadlock whose ' +
        'error was caught), or a DDL statement (CREATE, ALTER, DROP…) committed it implicitly, and the ' +
        'statements after it ran outside any transaction',
    );
  }
  return undefined;
}

/** Rolls back the transaction, if the connection is still usable; one that cannot is destroyed. */
export async function rollback(connection: Connection): Promise<void> {
  if (connection.broken !== undefined) return;
  try {
    await connection.connection.query('ROLLBACK');
  } catch (error) {
    // The work's error is the one the caller must see; destroying the connection ends the
    // transaction on the server as well.
    connection.markBroken(error);
  }
}

export async function rollbackTo(connection: Connection, savepoint: string): Promise<void> {
  if (connection.broken !== undefined) return;
  try {
    // The savepoint stays; the next SAVEPOINT of the same name replaces it.
    await connection.connection.query(`ROLLBACK TO SAVEPOINT ${savepoint}`);
  } catch (error) {
    // The savepoint is gone (InnoDB rolled the whole transaction back) or the connection is: the outer
    // transaction cannot be committed, and the connection is destroyed at its end.
    connection.markBroken(error);
  }
}
