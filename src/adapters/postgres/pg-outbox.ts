import type { Pool, PoolClient } from 'pg';
import type { SqlUnitOfWork } from '../../deferred/sql-unit-of-work.js';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { Backoff, type BackoffOptions } from '../../internal/backoff.js';
import { assertKnownOptions, describeValue, integerOption } from '../../internal/options.js';
import type {
  ClaimedRow,
  FailedRow,
  Outbox,
  OutboxMessage,
  OutboxStats,
} from '../../messaging/outbox/outbox.js';
import { ComponentLog } from '../../messaging/logging/component-log.js';
import { loggerOption, type Logger } from '../../messaging/logging/logger.js';
import { poolSecrets } from './pg-pool-secrets.js';
import { asError, assertDate, assertLease, assertOwner, isArray, truncate } from './pg-outbox-checks.js';
import { pgArray } from './pg-array.js';
import { pgExecutor, unitOfWorkOption, type PgExecutor } from './pg-executor.js';
import { addParameters, toClaimedRow, type ClaimedRecord } from './pg-outbox-rows.js';
import { PgListener } from './pg-listener.js';
import {
  pgOutboxNames,
  pgOutboxStatements,
  type PgOutboxNameOptions,
  type PgOutboxNames,
  type PgOutboxStatements,
} from './pg-outbox-sql.js';

export interface PgOutboxOptions<Tx = PoolClient> extends PgOutboxNameOptions {
  /**
   * The unit of work whose transactions `add` writes in: a `PgUnitOfWork`, or an ORM's `SqlUnitOfWork`
   * of dialect `'postgres'` (`tidings/knex`, `tidings/kysely`, `tidings/drizzle`, `tidings/typeorm`,
   * `tidings/mikro-orm`, `tidings/prisma`). The outbox runs its own statements (claims, marks) through it
   * too, each in a transaction of its own — over its pool when it is a `PgUnitOfWork`.
   *
   * LISTEN/NOTIFY needs a `pg` pool: with a `PgUnitOfWork` (or `pool`) `watch()` wakes relays up when
   * rows are committed; with an ORM's unit of work it never calls back, and relays find new rows by
   * polling (`OutboxRelay`'s `pollIntervalMs`). Give this or `pool`.
   * @defaultValue a `PgUnitOfWork` over `pool`
   */
  unitOfWork?: SqlUnitOfWork<Tx>;
  /**
   * A `pg` `Pool` you create and manage (tidings never ends it): the shorthand for
   * `unitOfWork: new PgUnitOfWork({ pool })`. Each `watch()` keeps one client of it checked out while it
   * listens, so size `max` accordingly. Give this or `unitOfWork`.
   * @defaultValue none
   */
  pool?: Pool;
  /**
   * Delays between attempts to restore a lost LISTEN connection of `watch()`.
   * @defaultValue `{ initialDelayMs: 100, maxDelayMs: 10000, factor: 2, jitter: 0.5 }`
   */
  watchReconnect?: BackoffOptions;
  /**
   * Receives the errors no caller waits for: a LISTEN connection of `watch()` was lost (it is restored
   * by itself), an attempt to restore it failed, a watch listener threw.
   * @defaultValue ignores them
   */
  onError?: (error: Error) => void;
  /**
   * Also writes what goes to `onError` to this logger (`console`, pino) as a warning
   * (`outbox-watch-error`: the relays poll meanwhile), the pool's password masked.
   * @defaultValue none
   */
  logger?: Logger;
}

/** `last_error` is cut to this many characters: enough for a message and the top of a stack. */
export const MAX_LAST_ERROR_LENGTH = 2000;

interface StatsRecord {
  pending: number | string;
  in_flight: number | string;
  failing: number | string;
  oldest_pending_age_ms: number | string;
  published: number | string;
}

/**
 * The PostgreSQL outbox. `add` writes rows in the caller's transaction (one statement for any number
 * of messages, plus a NOTIFY that PostgreSQL delivers only on commit); relays then `claim` due rows under
 * a lease with a fencing token, publish them, and `markPublished` or `markFailed` them.
 *
 * Claims are stateless — every claim looks at all due rows, oldest first — so a row whose transaction
 * commits late (after rows with newer ids were already published) is claimed by the first claim after
 * its commit: nothing is skipped. Concurrent relays never get the same row (`FOR UPDATE SKIP LOCKED`),
 * and a relay whose lease expired and was taken over can no longer mark the row (fencing).
 *
 * Delivery is at least once: a relay that crashes between the broker's confirm and `markPublished`
 * leaves the row to be published again when its lease expires. The row id is the AMQP message id, so
 * consumers can recognise the copy.
 *
 * Every statement goes through the unit of work (`SqlUnitOfWork.query`), so the outbox works with any
 * of them: `add` in the caller's transaction, each relay operation in a transaction of its own.
 *
 * @example
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const unitOfWork = new PgUnitOfWork({ pool });
 * const outbox = new PgOutbox({ unitOfWork });
 * await outbox.ensureSchema(); // or apply pgOutboxSchemaSql() in a migration
 * await unitOfWork.transaction(async (client) => {
 *   await client.query('UPDATE orders SET status = $2 WHERE id = $1', [order.id, 'placed']);
 *   // Encoded as Publisher.send would send it; its id (a UUIDv7) becomes the AMQP message id.
 *   await outbox.add([encodeOutboxMessage({ orderId: order.id }, 'order.placed', { appId: 'orders' })], client);
 * });
 * // A relay:
 * const rows = await outbox.claim('relay-1', 100, 30_000);
 * // ...publish each with confirms, then:
 * await outbox.markPublished('relay-1', confirmedRows);
 *
 * @example
 * // In a Knex transaction (any ORM's unit of work is the same); relays poll.
 * const unitOfWork = new KnexUnitOfWork(db);
 * const outbox = new PgOutbox({ unitOfWork });
 * await unitOfWork.transaction(async (trx) => {
 *   await trx('orders').where({ id: order.id }).update({ status: 'placed' });
 *   await outbox.add([encodeOutboxMessage({ orderId: order.id }, 'order.placed')], trx);
 * });
 */
export class PgOutbox<Tx = PoolClient> implements Outbox<Tx> {
  readonly #unitOfWork: SqlUnitOfWork<Tx>;
  readonly #executor: PgExecutor;
  readonly #names: PgOutboxNames;
  readonly #sql: PgOutboxStatements;
  readonly #backoff: Backoff;
  readonly #onError: (error: Error) => void;

  constructor(options: PgOutboxOptions<Tx>) {
    assertKnownOptions(
      options,
      ['unitOfWork', 'pool', 'schema', 'table', 'notifyChannel', 'watchReconnect', 'onError', 'logger'],
      'PgOutbox',
    );
    this.#unitOfWork = unitOfWorkOption(options, 'PgOutbox');
    this.#executor = pgExecutor(this.#unitOfWork);
    if (options.onError !== undefined && typeof options.onError !== 'function') {
      throw new InvalidArgumentError(
        `PgOutbox: "onError" must be a function, got ${describeValue(options.onError)}`,
      );
    }
    this.#names = pgOutboxNames(options);
    this.#sql = pgOutboxStatements(this.#names);
    this.#backoff = new Backoff(options.watchReconnect, 'PgOutbox: watchReconnect');
    const onError = options.onError ?? (() => {});
    const log = new ComponentLog(
      loggerOption(options.logger, 'PgOutbox'),
      'PgOutbox',
      poolSecrets(this.#executor.pool),
    );
    this.#onError = (error) => {
      log.warn('outbox-watch-error', `PgOutbox watch: ${error.message}`, { err: error });
      onError(error);
    };
  }

  /** The validated names (`qualifiedTable`, `channel`, …), for diagnostics and tooling. */
  get names(): PgOutboxNames {
    return this.#names;
  }

  /**
   * Creates the table, sequence and indexes if they do not exist, and upgrades a table of an earlier
   * version (see `pgOutboxSchemaSql`). Safe to call from several processes at once: they take turns on an
   * advisory lock.
   */
  async ensureSchema(): Promise<void> {
    await this.#executor.transaction(async (query) => {
      await query(this.#sql.lock);
      for (const statement of this.#sql.schema) await query(statement);
    });
  }

  /**
   * Writes `messages` in `tx`, the transaction a `transaction()` of the unit of work handed to its work
   * (a pg client for `PgUnitOfWork`, the ORM's transaction handle otherwise).
   */
  async add(messages: readonly OutboxMessage[], tx: Tx): Promise<void> {
    if (!isArray(messages)) {
      throw new InvalidArgumentError(`add: expected an array of messages, got ${describeValue(messages)}`);
    }
    if (tx === undefined || tx === null) {
      throw new InvalidArgumentError(
        `add: expected the transaction of the unit of work (a pg client for PgUnitOfWork), got ${describeValue(tx)}`,
      );
    }
    if (messages.length === 0) return;
    await this.#unitOfWork.query(tx, this.#sql.add, [...addParameters(messages), this.#names.channel]);
  }

  async claim(owner: string, limit: number, leaseMs: number): Promise<ClaimedRow[]> {
    assertOwner(owner, 'claim');
    integerOption(limit, 0, 'claim: limit', 0);
    integerOption(leaseMs, 0, 'claim: leaseMs', 1);
    if (limit === 0) return [];
    const { rows } = await this.#executor.run(this.#sql.claim, [owner, limit, leaseMs]);
    return (rows as unknown as ClaimedRecord[]).map(toClaimedRow);
  }

  async markPublished(
    owner: string,
    rows: readonly Pick<ClaimedRow, 'id' | 'leaseToken'>[],
  ): Promise<string[]> {
    assertOwner(owner, 'markPublished');
    if (!isArray(rows)) {
      throw new InvalidArgumentError(`markPublished: expected an array of rows, got ${describeValue(rows)}`);
    }
    if (rows.length === 0) return [];
    const ids: string[] = [];
    const tokens: string[] = [];
    for (const [index, row] of rows.entries()) {
      assertLease(row, `markPublished: rows[${index}]`);
      ids.push(row.id);
      tokens.push(row.leaseToken);
    }
    return idsOf(await this.#executor.run(this.#sql.markPublished, [owner, pgArray(ids), pgArray(tokens)]));
  }

  async markFailed(owner: string, failures: readonly FailedRow[]): Promise<string[]> {
    assertOwner(owner, 'markFailed');
    if (!isArray(failures)) {
      throw new InvalidArgumentError(`markFailed: expected an array of rows, got ${describeValue(failures)}`);
    }
    if (failures.length === 0) return [];
    const ids: string[] = [];
    const tokens: string[] = [];
    const errors: string[] = [];
    const delays: number[] = [];
    for (const [index, failure] of failures.entries()) {
      assertLease(failure, `markFailed: rows[${index}]`);
      if (typeof failure.error !== 'string') {
        throw new InvalidArgumentError(
          `markFailed: rows[${index}].error must be a string, got ${describeValue(failure.error)}`,
        );
      }
      integerOption(failure.retryInMs, 0, `markFailed: rows[${index}].retryInMs`, 0);
      ids.push(failure.id);
      tokens.push(failure.leaseToken);
      errors.push(truncate(failure.error.replaceAll('\0', ''), MAX_LAST_ERROR_LENGTH));
      delays.push(failure.retryInMs);
    }
    return idsOf(
      await this.#executor.run(this.#sql.markFailed, [
        owner,
        pgArray(ids),
        pgArray(tokens),
        pgArray(errors),
        pgArray(delays),
      ]),
    );
  }

  async extendLease(
    owner: string,
    rows: readonly Pick<ClaimedRow, 'id' | 'leaseToken'>[],
    leaseMs: number,
  ): Promise<string[]> {
    assertOwner(owner, 'extendLease');
    if (!isArray(rows)) {
      throw new InvalidArgumentError(`extendLease: expected an array of rows, got ${describeValue(rows)}`);
    }
    integerOption(leaseMs, 1, 'extendLease: leaseMs', 1);
    if (rows.length === 0) return [];
    const ids: string[] = [];
    const tokens: string[] = [];
    for (const [index, row] of rows.entries()) {
      assertLease(row, `extendLease: rows[${index}]`);
      ids.push(row.id);
      tokens.push(row.leaseToken);
    }
    return idsOf(
      await this.#executor.run(this.#sql.extendLease, [owner, pgArray(ids), pgArray(tokens), leaseMs]),
    );
  }

  async release(owner: string): Promise<number> {
    assertOwner(owner, 'release');
    return (await this.#executor.run(this.#sql.release, [owner])).rowCount;
  }

  async deletePublished(before: Date, limit: number): Promise<number> {
    assertDate(before, 'deletePublished: before');
    integerOption(limit, 0, 'deletePublished: limit', 0);
    if (limit === 0) return 0;
    return (await this.#executor.run(this.#sql.deletePublished, [before.toISOString(), limit])).rowCount;
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
   * Listens for the NOTIFY that `add` sends on commit, on a client of its own taken from the pool. If
   * that connection dies, it is restored with backoff (errors go to `onError`), and `listener` is called
   * once afterwards, since notifications sent in between are lost. Rejects if the first `LISTEN` fails.
   *
   * Only with a `pg` pool (`pool`, or a `PgUnitOfWork`): over an ORM's unit of work the listener is
   * never called, and relays find new rows by polling (`OutboxRelay`'s `pollIntervalMs`).
   */
  async watch(listener: () => void): Promise<() => Promise<void>> {
    if (typeof listener !== 'function') {
      throw new InvalidArgumentError(`watch: expected a function, got ${describeValue(listener)}`);
    }
    const pool = this.#executor.pool;
    if (pool === undefined) return () => Promise.resolve();
    const onError = this.#onError;
    const watcher = new PgListener({
      pool,
      channel: this.#names.channel,
      listenSql: this.#sql.listen,
      unlistenSql: this.#sql.unlisten,
      backoff: this.#backoff,
      onNotify: () => {
        const result: unknown = listener();
        // Typed as returning void, but an async listener's rejection must not go unhandled.
        if (result instanceof Promise) result.catch((error: unknown) => onError(asError(error)));
      },
      onError,
    });
    await watcher.start();
    let stopping: Promise<void> | undefined;
    return () => (stopping ??= watcher.stop());
  }
}

function idsOf(result: { rows: Record<string, unknown>[] }): string[] {
  return result.rows.map((row) => String(row.id));
}
