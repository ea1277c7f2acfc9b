import type { Pool, PoolConnection } from 'mysql2/promise';
import type { SqlResult, SqlUnitOfWork } from '../../deferred/sql-unit-of-work.js';
import { assertSqlUnitOfWork } from '../../deferred/assert-sql-unit-of-work.js';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { assertKnownOptions, describeValue, integerOption, optionKeys } from '../../internal/options.js';
import type {
  ClaimedRow,
  FailedRow,
  Outbox,
  OutboxMessage,
  OutboxStats,
} from '../../messaging/outbox/outbox.js';
import { poolExecutor, unitOfWorkExecutor, type MysqlExecutor } from './mysql-executor.js';
import {
  assertDate,
  assertOwner,
  delayOption,
  isArray,
  leaseGroups,
  truncate,
} from './mysql-outbox-checks.js';
import { addParameters, toClaimedRow, type ClaimedRecord } from './mysql-outbox-rows.js';
import {
  mysqlOutboxNames,
  mysqlOutboxStatements,
  type MysqlOutboxNameOptions,
  type MysqlOutboxNames,
  type MysqlOutboxStatements,
} from './mysql-outbox-sql.js';
import { MysqlUnitOfWork, poolOfUnitOfWork, promisePool } from './mysql-unit-of-work.js';

export interface MysqlOutboxOptions<Tx = PoolConnection> extends MysqlOutboxNameOptions {
  /**
   * The unit of work whose transactions `add` writes in: a `MysqlUnitOfWork`, or an ORM's
   * `SqlUnitOfWork` of dialect `'mysql'`. The outbox runs its own statements (claims, marks) through it
   * too — over its pool when it is a `MysqlUnitOfWork`, each in a transaction of its own otherwise, for
   * which `'read committed'` is best (see `MysqlUnitOfWorkOptions.isolationLevel`). Give this or `pool`.
   * @defaultValue a `MysqlUnitOfWork` over `pool`
   */
  unitOfWork?: SqlUnitOfWork<Tx>;
  /**
   * A `mysql2/promise` pool you create and manage (tidings never ends it): the shorthand for
   * `unitOfWork: new MysqlUnitOfWork({ pool })`. Give this or `unitOfWork`.
   * @defaultValue none
   */
  pool?: Pool;
}

/** Checked by the compiler against MysqlOutboxOptions: a key added there must be added here. */
const MYSQL_OUTBOX_OPTION_KEYS = optionKeys<MysqlOutboxOptions>({
  unitOfWork: true,
  pool: true,
  table: true,
});

/** `last_error` is cut to this many characters: enough for a message and the top of a stack. */
export const MAX_LAST_ERROR_LENGTH = 2000;

/** Rows per INSERT of `add`: a bounded statement, whatever the number of messages. */
const ADD_ROWS_PER_STATEMENT = 500;
/** GET_LOCK's wait for another process's `ensureSchema`, in seconds. */
const SCHEMA_LOCK_TIMEOUT_S = 60;

interface StatsRecord {
  pending: number | string;
  in_flight: number | string;
  failing: number | string;
  oldest_pending_age_ms: number | string | null;
  published: number | string;
}

/**
 * The MySQL and MariaDB outbox (MySQL 8, MariaDB 10.6 and later). `add` writes rows in the caller's
 * transaction (one statement for up to 500 messages); relays then `claim` due rows under a lease with a
 * fencing token, publish them, and `markPublished` or `markFailed` them — the guarantees of `PgOutbox`:
 *
 * - Claims are stateless — every claim looks at all due rows, oldest first — so a row whose transaction
 *   commits late is claimed by the first claim after its commit: nothing is skipped.
 * - Concurrent relays never get the same row (`SELECT … FOR UPDATE SKIP LOCKED`), and a relay whose lease
 *   expired and was taken over can no longer mark the row: each claim takes a new token from a one-row
 *   counter (`<table>_token`), and a mark needs the row's current token. All rows of one claim share its
 *   token.
 * - Times are the database's (UTC), so relays on hosts whose clocks disagree lease and retry on time.
 *
 * Delivery is at least once: a relay that crashes between the broker's confirm and `markPublished`
 * leaves the row to be published again when its lease expires. The row id is the AMQP message id, so
 * consumers can recognise the copy.
 *
 * Round trips, over a pool: a claim 6 (the transaction is read committed: 2 to open it), a mark 1 (2 when
 * some rows were not held any more), `markFailed` 5. MySQL has no LISTEN/NOTIFY: `watch()` never calls
 * back, relays find new rows by polling (`OutboxRelay`'s `pollIntervalMs`).
 *
 * @example
 * const pool = mysql.createPool({ uri: process.env.MYSQL_URL });
 * const unitOfWork = new MysqlUnitOfWork({ pool });
 * const outbox = new MysqlOutbox({ unitOfWork });
 * await outbox.ensureSchema(); // or apply mysqlOutboxSchemaSql() in a migration
 * await unitOfWork.transaction(async (connection) => {
 *   await connection.query('UPDATE orders SET status = ? WHERE id = ?', ['placed', order.id]);
 *   await outbox.add([encodeOutboxMessage({ orderId: order.id }, 'order.placed', { appId: 'orders' })], connection);
 * });
 * const relay = new OutboxRelay({ outbox, transport, pollIntervalMs: 200 });
 * relay.start();
 */
export class MysqlOutbox<Tx = PoolConnection> implements Outbox<Tx> {
  readonly #unitOfWork: SqlUnitOfWork<Tx>;
  readonly #executor: MysqlExecutor;
  readonly #names: MysqlOutboxNames;
  readonly #sql: MysqlOutboxStatements;

  constructor(options: MysqlOutboxOptions<Tx>) {
    assertKnownOptions(options, MYSQL_OUTBOX_OPTION_KEYS, 'MysqlOutbox');
    const { unitOfWork, pool } = options ?? {};
    if ((unitOfWork === undefined) === (pool === undefined)) {
      throw new InvalidArgumentError('MysqlOutbox: give either "unitOfWork" or "pool" (not both)');
    }
    if (unitOfWork !== undefined) {
      assertSqlUnitOfWork(unitOfWork, 'mysql', 'MysqlOutbox');
      this.#unitOfWork = unitOfWork;
    } else {
      this.#unitOfWork = new MysqlUnitOfWork({
        pool: promisePool(pool, 'MysqlOutbox'),
      }) as unknown as SqlUnitOfWork<Tx>;
    }
    const ownPool = poolOfUnitOfWork(this.#unitOfWork);
    this.#executor =
      ownPool === undefined
        ? unitOfWorkExecutor(this.#unitOfWork, 'MysqlOutbox.ensureSchema')
        : poolExecutor(ownPool);
    this.#names = mysqlOutboxNames(options);
    this.#sql = mysqlOutboxStatements(this.#names);
  }

  /** The validated names (`table`, the quoted table and counter), for diagnostics and tooling. */
  get names(): MysqlOutboxNames {
    return this.#names;
  }

  /**
   * Creates the table and its token counter if they do not exist (see `mysqlOutboxSchemaSql`). Safe to
   * call from several processes at once: they take turns on a named lock (`GET_LOCK`). Call it outside
   * any transaction: MySQL commits a transaction implicitly at a DDL statement.
   */
  async ensureSchema(): Promise<void> {
    const { table } = this.#names;
    await this.#executor.session(async (query) => {
      const { rows } = await query(this.#sql.lock, [table, SCHEMA_LOCK_TIMEOUT_S]);
      if (Number((rows[0] as { locked?: unknown } | undefined)?.locked) !== 1) {
        throw new Error(
          `MysqlOutbox.ensureSchema: another process held the schema lock of ${table} for ${SCHEMA_LOCK_TIMEOUT_S} s`,
        );
      }
      try {
        for (const statement of this.#sql.schema) await query(statement);
      } finally {
        await query(this.#sql.unlock, [table]);
      }
    });
  }

  async add(messages: readonly OutboxMessage[], tx: Tx): Promise<void> {
    if (!isArray(messages)) {
      throw new InvalidArgumentError(`add: expected an array of messages, got ${describeValue(messages)}`);
    }
    if (tx === undefined || tx === null) {
      throw new InvalidArgumentError(
        `add: expected the transaction of the unit of work (its connection), got ${describeValue(tx)}`,
      );
    }
    if (messages.length === 0) return;
    const parameters = addParameters(messages); // every message checked before anything is written
    for (let start = 0; start < messages.length; start += ADD_ROWS_PER_STATEMENT) {
      const rows = Math.min(ADD_ROWS_PER_STATEMENT, messages.length - start);
      await this.#unitOfWork.query(tx, this.#sql.add(rows), parameters.slice(start * 6, (start + rows) * 6));
    }
  }

  async claim(owner: string, limit: number, leaseMs: number): Promise<ClaimedRow[]> {
    assertOwner(owner, 'claim');
    integerOption(limit, 0, 'claim: limit', 0);
    delayOption(leaseMs, 'claim: leaseMs', 1);
    if (limit === 0) return [];
    return this.#executor.transaction(async (query) => {
      const counted = await query(this.#sql.nextToken);
      if (counted.rowCount !== 1) {
        // LAST_INSERT_ID() would still hold an older token: fencing would break.
        throw new Error(
          `MysqlOutbox.claim: the token counter ${this.#names.quotedCounter} has no row; run ensureSchema()`,
        );
      }
      const { rows } = (await query(this.#sql.due(limit))) as unknown as SqlResult<ClaimedRecord>;
      if (rows.length === 0) return [];
      const ids = rows.map((row) => row.id);
      await query(this.#sql.lease(ids.length), [owner, leaseMs * 1000, ...ids]);
      return rows.map(toClaimedRow);
    });
  }

  async markPublished(
    owner: string,
    rows: readonly Pick<ClaimedRow, 'id' | 'leaseToken'>[],
  ): Promise<string[]> {
    assertOwner(owner, 'markPublished');
    const groups = leaseGroups(rows, 'markPublished');
    if (groups.length === 0) return [];
    const update = this.#sql.markPublished(groups);
    const { rowCount } = await this.#executor.run(update.sql, [owner, ...update.params]);
    const all = groups.flatMap((group) => group.ids);
    if (rowCount >= all.length) return all;
    if (rowCount === 0) return [];
    // Some rows were taken over: those now published under their lease are the ones marked (or, if the
    // caller marked some of them before with the same lease, marked then).
    const check = this.#sql.publishedBy(groups);
    return idsOf(await this.#executor.run(check.sql, [owner, ...check.params]));
  }

  async markFailed(owner: string, failures: readonly FailedRow[]): Promise<string[]> {
    assertOwner(owner, 'markFailed');
    const groups = leaseGroups(failures, 'markFailed');
    if (groups.length === 0) return [];
    const errors = new Map<string, string>();
    const delays = new Map<string, number>();
    for (const [index, failure] of failures.entries()) {
      if (typeof failure.error !== 'string') {
        throw new InvalidArgumentError(
          `markFailed: rows[${index}].error must be a string, got ${describeValue(failure.error)}`,
        );
      }
      delayOption(failure.retryInMs, `markFailed: rows[${index}].retryInMs`, 0);
      const id = failure.id.toLowerCase();
      errors.set(id, truncate(failure.error, MAX_LAST_ERROR_LENGTH));
      delays.set(id, failure.retryInMs * 1000);
    }
    // A failed row loses its lease, so afterwards nothing tells which rows this call recorded: they are
    // found and locked first. Failures are the rare path; the round trips are spent here.
    return this.#executor.transaction(async (query) => {
      const select = this.#sql.held(groups, true);
      const ids = idsOf(await query(select.sql, [owner, ...select.params]));
      if (ids.length === 0) return [];
      await query(this.#sql.markFailed(ids.length), [
        ...ids.flatMap((id) => [id, errors.get(id)]),
        ...ids.flatMap((id) => [id, delays.get(id)]),
        ...ids,
      ]);
      return ids;
    });
  }

  async extendLease(
    owner: string,
    rows: readonly Pick<ClaimedRow, 'id' | 'leaseToken'>[],
    leaseMs: number,
  ): Promise<string[]> {
    assertOwner(owner, 'extendLease');
    const groups = leaseGroups(rows, 'extendLease');
    delayOption(leaseMs, 'extendLease: leaseMs', 1);
    if (groups.length === 0) return [];
    const update = this.#sql.extendLease(groups, leaseMs * 1000);
    const [micros, ...held] = update.params;
    const { rowCount } = await this.#executor.run(update.sql, [micros, owner, ...held]);
    const all = groups.flatMap((group) => group.ids);
    if (rowCount >= all.length) return all;
    // Exact: a row still held by this lease is one whose lease was just extended.
    const check = this.#sql.held(groups, false);
    return idsOf(await this.#executor.run(check.sql, [owner, ...check.params]));
  }

  async release(owner: string): Promise<number> {
    assertOwner(owner, 'release');
    return (await this.#executor.run(this.#sql.release, [owner])).rowCount;
  }

  async deletePublished(before: Date, limit: number): Promise<number> {
    assertDate(before, 'deletePublished: before');
    integerOption(limit, 0, 'deletePublished: limit', 0);
    if (limit === 0) return 0;
    // The column holds UTC: the time is written as UTC text, whatever the session's time_zone.
    const utc = before.toISOString().replace('T', ' ').replace('Z', '');
    const ids = idsOf(await this.#executor.run(this.#sql.oldPublished(limit), [utc]));
    if (ids.length === 0) return 0;
    return (await this.#executor.run(this.#sql.deletePublished(ids.length), ids)).rowCount;
  }

  async stats(): Promise<OutboxStats> {
    const { rows } = await this.#executor.run(this.#sql.stats);
    const row = rows[0] as StatsRecord | undefined;
    return {
      pending: Number(row?.pending ?? 0),
      oldestPendingAgeMs: Math.round(Number(row?.oldest_pending_age_ms ?? 0)),
      inFlight: Number(row?.in_flight ?? 0),
      failing: Number(row?.failing ?? 0),
      published: Number(row?.published ?? 0),
    };
  }

  /**
   * MySQL has no LISTEN/NOTIFY: the listener is never called, and relays find new rows by polling
   * (`OutboxRelay`'s `pollIntervalMs`). Resolves to a function that does nothing.
   */
  watch(listener: () => void): Promise<() => Promise<void>> {
    if (typeof listener !== 'function') {
      return Promise.reject(
        new InvalidArgumentError(`watch: expected a function, got ${describeValue(listener)}`),
      );
    }
    return Promise.resolve(() => Promise.resolve());
  }
}

function idsOf(result: SqlResult): string[] {
  return result.rows.map((row) => String((row as { id: unknown }).id));
}
