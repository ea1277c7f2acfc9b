import type { Pool, PoolClient } from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Flusher } from '../../../src/deferred/flusher.js';
import { AggregateRoot } from '../../../src/deferred/recorder.js';
import { EventDispatcher } from '../../../src/dispatcher/event-dispatcher.js';
import { InvalidArgumentError } from '../../../src/errors/invalid-argument-error.js';
import { TransactionStateError } from '../../../src/errors/transaction-state-error.js';
import { PgUnitOfWork } from '../../../src/adapters/postgres/pg-unit-of-work.js';
import { createPool, sleep, uniqueName } from './pg-helpers.js';

const items = uniqueName('tidings_uow_items');
const deferred = uniqueName('tidings_uow_deferred');

let pool: Pool;
let unitOfWork: PgUnitOfWork;

async function insert(client: PoolClient, name: string): Promise<void> {
  await client.query(`INSERT INTO ${items} (name) VALUES ($1)`, [name]);
}

async function names(): Promise<string[]> {
  const { rows } = await pool.query<{ name: string }>(`SELECT name FROM ${items} ORDER BY id`);
  return rows.map((row) => row.name);
}

/** Every client went back to the pool. */
function checkedOut(): number {
  return pool.totalCount - pool.idleCount;
}

beforeAll(async () => {
  pool = createPool();
  await pool.query(`CREATE TABLE ${items} (id serial PRIMARY KEY, name text NOT NULL)`);
  await pool.query(
    `CREATE TABLE ${deferred} (key text, CONSTRAINT ${deferred}_key UNIQUE (key) DEFERRABLE INITIALLY DEFERRED)`,
  );
  unitOfWork = new PgUnitOfWork({ pool });
});

afterAll(async () => {
  await pool.query(`DROP TABLE IF EXISTS ${items}`);
  await pool.query(`DROP TABLE IF EXISTS ${deferred}`);
  await pool.end();
});

beforeEach(async () => {
  await pool.query(`TRUNCATE ${items}, ${deferred}`);
});

describe('PgUnitOfWork', () => {
  it('commits when the work resolves, and gives the client back', async () => {
    const result = await unitOfWork.transaction(async (client) => {
      await insert(client, 'a');
      expect(unitOfWork.inTransaction).toBe(true);
      return 'done';
    });
    expect(result).toBe('done');
    expect(await names()).toEqual(['a']);
    expect(unitOfWork.inTransaction).toBe(false);
    expect(checkedOut()).toBe(0);
  });

  it('rolls back when the work throws, and rejects with its error', async () => {
    const failure = new Error('business rule');
    await expect(
      unitOfWork.transaction(async (client) => {
        await insert(client, 'a');
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await names()).toEqual([]);
    expect(checkedOut()).toBe(0);
  });

  it('runs a nested transaction as a savepoint: its failure undoes only its own writes', async () => {
    const inner = new Error('inner');
    await unitOfWork.transaction(async (client) => {
      await insert(client, 'outer-before');
      await expect(
        unitOfWork.transaction(async (nestedClient) => {
          expect(nestedClient).toBe(client);
          await insert(nestedClient, 'inner');
          throw inner;
        }),
      ).rejects.toBe(inner);
      await insert(client, 'outer-after');
    });
    expect(await names()).toEqual(['outer-before', 'outer-after']);
  });

  it('releases a nested savepoint into its parent: kept on commit, undone by the outer rollback', async () => {
    await unitOfWork.transaction(async (client) => {
      await unitOfWork.transaction(async (c) => {
        await insert(c, 'level-1');
        await unitOfWork.transaction((c2) => insert(c2, 'level-2'));
      });
      await insert(client, 'outer');
    });
    expect(await names()).toEqual(['level-1', 'level-2', 'outer']);

    await pool.query(`TRUNCATE ${items}`);
    await expect(
      unitOfWork.transaction(async () => {
        await unitOfWork.transaction((c) => insert(c, 'released'));
        throw new Error('outer fails after the savepoint was released');
      }),
    ).rejects.toThrow('outer fails');
    expect(await names()).toEqual([]);
  });

  it('rejects with the COMMIT error when a deferred constraint fails, and nothing persists', async () => {
    const commit = unitOfWork.transaction(async (client) => {
      await insert(client, 'a');
      await client.query(`INSERT INTO ${deferred} (key) VALUES ('k'), ('k')`); // checked at COMMIT
      return 'never';
    });
    await expect(commit).rejects.toMatchObject({ code: '23505' });
    expect(await names()).toEqual([]);
    expect((await pool.query(`SELECT count(*)::int AS n FROM ${deferred}`)).rows[0].n).toBe(0);
    expect(checkedOut()).toBe(0);
    // The client went back healthy (not inside a transaction): the next transaction works.
    await unitOfWork.transaction((client) => insert(client, 'b'));
    expect(await names()).toEqual(['b']);
  });

  it('refuses to report success when PostgreSQL turned the COMMIT into a rollback', async () => {
    const commit = unitOfWork.transaction(async (client) => {
      await insert(client, 'a');
      await client.query('SELECT 1/0').catch(() => 'swallowed'); // aborts the transaction
    });
    await expect(commit).rejects.toBeInstanceOf(TransactionStateError);
    await expect(commit).rejects.toThrow(/nothing was committed/);
    expect(await names()).toEqual([]);
  });

  it('rolls back a savepoint whose failed statement was caught, with a clear error', async () => {
    await unitOfWork.transaction(async (client) => {
      await insert(client, 'outer');
      const nested = unitOfWork.transaction(async (c) => {
        await insert(c, 'inner');
        await c.query('SELECT 1/0').catch(() => 'swallowed');
      });
      await expect(nested).rejects.toBeInstanceOf(TransactionStateError);
      await expect(nested).rejects.toMatchObject({ cause: { code: '25P02' } });
      await insert(client, 'outer-after'); // the outer transaction is usable again
    });
    expect(await names()).toEqual(['outer', 'outer-after']);
  });

  it('discards a client whose connection died, without crashing the process', async () => {
    const before = pool.totalCount;
    let pid = 0;
    await expect(
      unitOfWork.transaction(async (client) => {
        await insert(client, 'a');
        pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
        await pool.query('SELECT pg_terminate_backend($1)', [pid]);
        await sleep(100); // the 'error' event arrives while no query runs on the client
        await insert(client, 'b');
      }),
    ).rejects.toThrow();
    expect(pid).toBeGreaterThan(0);
    expect(checkedOut()).toBe(0);
    expect(pool.totalCount).toBeLessThanOrEqual(before + 1); // the dead one was removed, not pooled
    const alive = await pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1',
      [pid],
    );
    expect(alive.rows[0]!.n).toBe(0);
    expect(await names()).toEqual([]);
    await unitOfWork.transaction((client) => insert(client, 'c'));
    expect(await names()).toEqual(['c']);
  });

  it('uses the configured isolation level', async () => {
    const serializable = new PgUnitOfWork({ pool, isolationLevel: 'serializable' });
    const level = await serializable.transaction(async (client) => {
      const { rows } = await client.query<{ level: string }>('SELECT current_setting($1) AS level', [
        'transaction_isolation',
      ]);
      return rows[0]!.level;
    });
    expect(level).toBe('serializable');
  });

  it('rejects misuse with clear errors, and rolls back', async () => {
    expect(() => new PgUnitOfWork({ pool: {} as Pool })).toThrow(
      /PgUnitOfWork: "pool" must be a pg Pool, got an instance of Object/,
    );
    expect(() => new PgUnitOfWork(undefined as never)).toThrow(/"pool" must be a pg Pool, got undefined/);
    // The former shape, new PgUnitOfWork(pool), says what to write instead.
    expect(() => new PgUnitOfWork(pool as never)).toThrow(/new PgUnitOfWork\(\{ pool \}\)/);
    expect(() => new PgUnitOfWork({ pool, isolationLevel: 'chaos' as never })).toThrow(/isolationLevel/);
    expect(() => new PgUnitOfWork({ pool, isolation: 'serializable' } as never)).toThrow(/unknown option/);
    await expect(unitOfWork.transaction('nope' as never)).rejects.toBeInstanceOf(InvalidArgumentError);

    // Two savepoints side by side on one connection.
    await expect(
      unitOfWork.transaction(async () => {
        await Promise.all([
          unitOfWork.transaction((c) => insert(c, 'x')),
          unitOfWork.transaction((c) => insert(c, 'y')),
        ]);
      }),
    ).rejects.toThrow(/still running/);

    // A nested transaction left un-awaited.
    await expect(
      unitOfWork.transaction(async () => {
        void unitOfWork.transaction(async (c) => {
          await sleep(50);
          await insert(c, 'late');
        });
      }),
    ).rejects.toThrow(/missing await/);

    // A nested call that escaped its transaction.
    let escaped: Promise<unknown> | undefined;
    await unitOfWork.transaction(async () => {
      escaped = sleep(50).then(() => unitOfWork.transaction((c) => insert(c, 'escaped')));
    });
    await expect(escaped).rejects.toThrow(/already ended/);

    expect(await names()).toEqual([]);
    expect(checkedOut()).toBe(0);
  });

  it('backs a Flusher: events are dispatched only after the commit', async () => {
    class ItemAdded {
      constructor(readonly name: string) {}
    }
    class Basket extends AggregateRoot {
      add(name: string): void {
        this.recordEvent(new ItemAdded(name));
      }
    }
    const seen: string[] = [];
    const dispatcher = new EventDispatcher();
    dispatcher.on(ItemAdded, async (event) => {
      // Dispatched after commit: another connection already sees the row.
      seen.push(`${event.name}:${(await names()).join(',')}`);
    });
    const flusher = new Flusher({ dispatcher, unitOfWork });
    const basket = new Basket();
    await flusher.transaction(async (client) => {
      basket.add('apple');
      await insert(client, 'apple');
      return [basket];
    });
    expect(seen).toEqual(['apple:apple']);

    const failing = new Basket();
    await expect(
      flusher.transaction(async (client) => {
        failing.add('pear');
        await insert(client, 'pear');
        await client.query(`INSERT INTO ${deferred} (key) VALUES ('k'), ('k')`);
        return [failing];
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect(seen).toEqual(['apple:apple']);
    expect(failing.peekEvents()).toHaveLength(1); // still recorded: nothing was released
  });
});
