import type { UnitOfWork } from '../../deferred/unit-of-work.js';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { TransactionStateError } from '../../errors/transaction-state-error.js';
import { assertKnownOptions, describeValue, optionKeys } from '../../internal/options.js';
import { TransactionScope } from '../../internal/transaction-scope.js';

/**
 * What the unit of work uses of `@nestjs-cls/transactional`'s `TransactionHost`, which fits it as is:
 * tidings/nestjs does not import that package (an optional peer), so the type is structural.
 * `Propagation` is the host's propagation enum, inferred from the host.
 */
export interface TransactionHostLike<Tx, Propagation extends string = string> {
  /** The transaction of the running `@Transactional()` method or `withTransaction()` call. */
  readonly tx: Tx;
  isTransactionActive(): boolean;
  withTransaction<R>(propagation: Propagation, fn: () => Promise<R>): Promise<R>;
}

export interface TransactionHostUnitOfWorkOptions<Tx> {
  /**
   * Whether `tx`, the transaction the host holds, is still open. `@nestjs-cls/transactional` clears
   * it only once the ORM's commit has returned, so what the ORM runs after its `COMMIT` (the listeners
   * `RecordedEventsSubscriber` dispatches) still sees a transaction "active": this tells that committed
   * one, in which a new transaction may start, from one a `@Transactional()` method is running. (With
   * TidingsModule's `dispatchContext: (dispatch) => txHost.withoutTransaction(dispatch)`, listeners
   * see no transaction at all.)
   * @defaultValue `tx.queryRunner.isTransactionActive` when `tx` has a query runner (TypeORM's
   * `EntityManager`), else `true`
   */
  isOpen?: (tx: Tx) => boolean;
}

const OPTION_KEYS = optionKeys<TransactionHostUnitOfWorkOptions<unknown>>({ isOpen: true });

// The values of @nestjs-cls/transactional's `Propagation` string enum that this file uses.
const REQUIRES_NEW = 'REQUIRES_NEW';
const NESTED = 'NESTED';

/**
 * The unit of work over `@nestjs-cls/transactional`'s `TransactionHost`: `flusher.transaction(work)`
 * runs `work` in a transaction the host begins, so the services `work` calls see it as `txHost.tx`
 * (their repositories, `@Transactional()` methods and `@InjectTransaction()` join it), and the outbox
 * writes its rows in it. A `flusher.transaction()` nested in it is a savepoint (`Propagation.Nested`).
 *
 * Give the outbox the ORM's own unit of work (`TypeOrmUnitOfWork`…): it runs the outbox's statements
 * in the transaction this one hands out, and the relay's transactions on its own.
 *
 * Refused (`TransactionStateError`): `flusher.transaction()` inside a transaction the host runs for
 * someone else (a `@Transactional()` method). Joining it, the Flusher would dispatch the events when
 * its part ends, before that transaction commits (and perhaps rolls back). There, save the aggregates
 * in the method's transaction: `RecordedEventsSubscriber` (tidings/typeorm) writes their events to the
 * outbox before its commit and dispatches them after it.
 *
 * @example
 * TidingsModule.forRootAsync({
 *   inject: [DataSource, TransactionHost],
 *   useFactory: (dataSource: DataSource, txHost: TransactionHost<TransactionalAdapterTypeOrm>) => ({
 *     transport: createTransport(),
 *     unitOfWork: new TransactionHostUnitOfWork(txHost),
 *     dispatchContext: (dispatch) => txHost.withoutTransaction(dispatch),
 *     outbox: new PgOutbox({ unitOfWork: new TypeOrmUnitOfWork(dataSource) }),
 *   }),
 * })
 */
export class TransactionHostUnitOfWork<Tx, Propagation extends string = string> implements UnitOfWork<Tx> {
  readonly #host: TransactionHostLike<Tx, Propagation>;
  readonly #isOpen: (tx: Tx) => boolean;
  readonly #scope = new TransactionScope<Tx>();

  constructor(
    host: TransactionHostLike<Tx, Propagation>,
    options: TransactionHostUnitOfWorkOptions<Tx> = {},
  ) {
    const candidate = host as Partial<TransactionHostLike<Tx, Propagation>> | null | undefined;
    if (
      typeof candidate?.withTransaction !== 'function' ||
      typeof candidate.isTransactionActive !== 'function'
    ) {
      throw new InvalidArgumentError(
        `TransactionHostUnitOfWork: expected a TransactionHost of @nestjs-cls/transactional, got ${describeValue(host)}`,
      );
    }
    assertKnownOptions(options, OPTION_KEYS, 'TransactionHostUnitOfWork');
    if (options.isOpen !== undefined && typeof options.isOpen !== 'function') {
      throw new InvalidArgumentError(
        `TransactionHostUnitOfWork: "isOpen" must be a function, got ${describeValue(options.isOpen)}`,
      );
    }
    this.#host = host;
    this.#isOpen = options.isOpen ?? queryRunnerIsOpen;
  }

  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.#scope.transaction(
      work,
      (run) => {
        if (this.#host.isTransactionActive() && this.#isOpen(this.#host.tx)) {
          return Promise.reject(ambientTransactionError());
        }
        // REQUIRES_NEW, not REQUIRED: a committed transaction still held by the host is not joined.
        return this.#withTransaction(REQUIRES_NEW, () => run(this.#host.tx));
      },
      (_parent, run) => this.#withTransaction(NESTED, () => run(this.#host.tx)),
    );
  }

  #withTransaction<T>(propagation: string, fn: () => Promise<T>): Promise<T> {
    // The host's Propagation is a string enum of these values; tidings does not import it (see above).
    return this.#host.withTransaction(propagation as Propagation, fn);
  }
}

/** TypeORM's `EntityManager` of a transaction: its query runner says whether it is still open. */
function queryRunnerIsOpen(tx: unknown): boolean {
  const runner = (tx as { queryRunner?: { isTransactionActive?: unknown } } | null | undefined)?.queryRunner;
  return typeof runner?.isTransactionActive === 'boolean' ? runner.isTransactionActive : true;
}

function ambientTransactionError(): TransactionStateError {
  return new TransactionStateError(
    'TransactionHostUnitOfWork: flusher.transaction() was called inside a transaction it does not run ' +
      '(a @Transactional() method, or txHost.withTransaction()); it would dispatch the events before ' +
      'that transaction commits. Save the aggregates in that transaction instead: with ' +
      'RecordedEventsSubscriber (tidings/typeorm), their events go to the outbox before its COMMIT and ' +
      'are dispatched after it. Or call flusher.transaction() outside the method.',
  );
}
