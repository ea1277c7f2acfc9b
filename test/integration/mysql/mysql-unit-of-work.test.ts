import type { Pool, PoolConnection } from 'mysql2/promise';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Flusher } from '../../../src/deferred/flusher.js';
import { AggregateRoot } from '../../../src/deferred/recorder.js';
import { EventDispatcher } from '../../../src/dispatcher/event-dispatcher.js';
import { InvalidArgumentError } from '../../../src/errors/invalid-argument-error.js';
import { TransactionStateError } from '../../../src/errors/transaction-state-error.js';
import { MysqlUnitOfWork } from '../../../src/mysql.js';
import { checkedOut, createPool, sleep, uniqueName } from './mysql-helpers.js';

const items = uniqueName('tidings_uow_items');

let pool: Pool;
let unitOfWork: MysqlUnitOfWork;

async function insert(connection: PoolConnection, name: string): Promise<void> {
  await unitOfWork.query(connection, `INSERT INTO ${items} (name) VALUES (?)`, [name]);
}

async function names(): Promise<string[]> {
  const [rows] = await pool.query(`SELECT name FROM ${items} ORDER BY id`);
  return (rows as { name: string }[]).map((row) => row.name);
}

beforeAll(async () => {
  pool = createPool();
  await pool.query(
    `CREATE TABLE ${items} (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL UNIQUE) ENGINE = InnoDB`,
  );
  unitOfWork = new MysqlUnitOfWork({ pool });
});

afterAll(async () => {
  await pool.query(`DROP TABLE IF EXISTS ${items}`);
  await pool.end();
});

beforeEach(async () => {
  await pool.query(`TRUNCATE ${items}`);
});

describe('MysqlUnitOfWork', () => {
  it('commits when the work resolves, and gives the connection back', async () => {
    const result = await unitOfWork.transaction(async (connection) => {
      await insert(connection, 'a');
      expect(unitOfWork.inTransaction).toBe(true);
      return 'done';
    });
    expect(result).toBe('done');
    expect(await names()).toEqual(['a']);
    expect(unitOfWork.inTransaction).toBe(false);
    expect(unitOfWork.dialect).toBe('mysql');
    expect(checkedOut(pool)).toBe(0);
  });

  it('rolls back when the work throws, and rejects with its error', async () => {
    const error = new Error('business rule');
    await expect(
      unitOfWork.transaction(async (connection) => {
        await insert(connection, 'a');
        throw error;
      }),
    ).rejects.toBe(error);
    expect(await names()).toEqual([]);
    expect(checkedOut(pool)).toBe(0);
  });

  it('query binds ? parameters and returns rows, or the affected rows', async () => {
    const values = await unitOfWork.transaction(async (connection) => {
      const inserted = await unitOfWork.query(connection, `INSERT INTO ${items} (name) VALUES (?), (?)`, [
        'x',
        "it's; DROP TABLE x --",
      ]);
      expect(inserted).toEqual({ rows: [], rowCount: 2 });
      const updated = await unitOfWork.query(connection, `UPDATE ${items} SET name = CONCAT(name, ?)`, ['!']);
      expect(updated.rowCount).toBe(2);
      const { rows, rowCount } = await unitOfWork.query(
        connection,
        'SELECT ? AS s, ? AS n, CAST(CAST(? AS UNSIGNED) AS CHAR) AS b, ? AS t, ? AS z, HEX(?) AS buf, ? AS d',
        ['é', 1.5, 2n ** 62n, true, null, Buffer.from([0, 255]), new Date('2024-02-29T12:00:00.000Z')],
      );
      expect(rowCount).toBe(1);
      return rows[0];
    });
    expect(values).toMatchObject({ s: 'é', n: '1.5', t: 1, z: null, buf: '00FF' });
    expect(values?.['b']).toBe(String(2n ** 62n));
    expect(await names()).toEqual(['x!', "it's; DROP TABLE x --!"]);
  });

  it('runs a nested transaction as a savepoint: its failure undoes only its own writes', async () => {
    await unitOfWork.transaction(async (connection) => {
      await insert(connection, 'outer');
      await expect(
        unitOfWork.transaction(async (nested) => {
          expect(nested).toBe(connection);
          await insert(nested, 'inner');
          throw new Error('inner failed');
        }),
      ).rejects.toThrow('inner failed');
      await unitOfWork.transaction((nested) => insert(nested, 'inner-2'));
      await insert(connection, 'after');
    });
    expect(await names()).toEqual(['outer', 'inner-2', 'after']);
  });

  it('releases a nested savepoint into its parent: kept on commit, undone by the outer rollback', async () => {
    await expect(
      unitOfWork.transaction(async (connection) => {
        await unitOfWork.transaction((nested) => insert(nested, 'nested'));
        await insert(connection, 'outer');
        throw new Error('outer failed');
      }),
    ).rejects.toThrow('outer failed');
    expect(await names()).toEqual([]);
  });

  it('a duplicate key caught inside the work does not end the transaction (MySQL undoes the statement only)', async () => {
    await unitOfWork.transaction(async (connection) => {
      await insert(connection, 'a');
      await expect(insert(connection, 'a')).rejects.toMatchObject({ errno: 1062 });
      await insert(connection, 'b');
    });
    expect(await names()).toEqual(['a', 'b']);
  });

  it('refuses to report success when InnoDB rolled the transaction back on a deadlock whose error was caught', async () => {
    await pool.query(`INSERT INTO ${items} (name) VALUES ('one'), ('two')`);
    const other = await pool.getConnection();
    let lockedOne!: () => void;
    const ourLock = new Promise<void>((resolve) => (lockedOne = resolve));
    let lockedTwo!: () => void;
    const theirLock = new Promise<void>((resolve) => (lockedTwo = resolve));
    try {
      await other.query('START TRANSACTION');
      // InnoDB rolls back the transaction that changed fewer rows: make that this unit of work's.
      await other.query(`INSERT INTO ${items} (name) VALUES ('p'), ('q'), ('r'), ('s'), ('t'), ('u')`);
      // Settled into an outcome at once: its rejection arrives while this test still awaits the other
      // connection, and a rejection nobody handles yet is reported by vitest as an unhandled error.
      const ours = unitOfWork
        .transaction(async (connection) => {
          await insert(connection, 'a-before');
          await unitOfWork.query(connection, `UPDATE ${items} SET name = 'one*' WHERE name = 'one'`);
          lockedOne();
          await theirLock;
          // Waits for the other transaction, which then waits for this one: a deadlock. The error is caught.
          return unitOfWork.query(connection, `UPDATE ${items} SET name = 'two*' WHERE name = 'two'`).then(
            () => 'no error',
            (error: unknown) => error,
          );
        })
        .then(
          (caught) => ({ error: undefined as unknown, caught }),
          (error: unknown) => ({ error, caught: undefined }),
        );
      await ourLock;
      await other.query(`UPDATE ${items} SET name = 'two+' WHERE name = 'two'`);
      lockedTwo();
      await sleep(100);
      const theirs = await other.query(`UPDATE ${items} SET name = 'one+' WHERE name = 'one'`).then(
        () => undefined,
        (error: unknown) => error,
      );
      await other.query(theirs === undefined ? 'COMMIT' : 'ROLLBACK');
      const outcome = await ours;
      expect(theirs).toBeUndefined();
      expect(outcome.error).toBeInstanceOf(TransactionStateError);
      expect((outcome.error as Error).message).toMatch(/deadlock/);
      expect((outcome.error as Error).cause).toMatchObject({ errno: 1213 });
      expect(await names()).not.toContain('a-before');
    } finally {
      other.release();
    }
    expect(checkedOut(pool)).toBe(0);
  });

  it('refuses to report success when a DDL statement committed the transaction implicitly', async () => {
    const scratch = uniqueName('tidings_uow_items');
    try {
      await expect(
        unitOfWork.transaction(async (connection) => {
          await insert(connection, 'a');
          await unitOfWork.query(connection, `CREATE TABLE ${scratch} (id INT)`);
          await insert(connection, 'b');
        }),
      ).rejects.toThrow(/committed it implicitly/);
    } finally {
      await pool.query(`DROP TABLE IF EXISTS ${scratch}`);
    }
  });

  it('destroys a connection that died, without crashing the process', async () => {
    let threadId = 0;
    await expect(
      unitOfWork.transaction(async (connection) => {
        await insert(connection, 'a');
        threadId = connection.threadId ?? 0;
        await pool.query(`KILL CONNECTION ${threadId}`);
        await sleep(100); // the 'error' event arrives while no query runs on the connection
        await insert(connection, 'b');
      }),
    ).rejects.toThrow();
    expect(threadId).toBeGreaterThan(0);
    expect(checkedOut(pool)).toBe(0);
    expect(await names()).toEqual([]);

    // The work catches the error and resolves: still nothing committed, and said so.
    await expect(
      unitOfWork.transaction(async (connection) => {
        await insert(connection, 'c');
        await pool.query(`KILL CONNECTION ${connection.threadId ?? 0}`);
        await insert(connection, 'd').catch(() => {});
      }),
    ).rejects.toBeInstanceOf(TransactionStateError);
    expect(checkedOut(pool)).toBe(0);
    expect(await names()).toEqual([]);
    await unitOfWork.transaction((connection) => insert(connection, 'e'));
    expect(await names()).toEqual(['e']);
  });

  it('uses the configured isolation level for outermost transactions', async () => {
    async function secondReadSees(level: 'read committed' | undefined): Promise<string[]> {
      const uow = new MysqlUnitOfWork({ pool, ...(level && { isolationLevel: level }) });
      await pool.query(`TRUNCATE ${items}`);
      return uow.transaction(async (connection) => {
        await uow.query(connection, `SELECT name FROM ${items}`);
        await pool.query(`INSERT INTO ${items} (name) VALUES ('committed meanwhile')`);
        const { rows } = await uow.query<{ name: string }>(connection, `SELECT name FROM ${items}`);
        return rows.map((row) => row.name);
      });
    }
    expect(await secondReadSees('read committed')).toEqual(['committed meanwhile']);
    expect(await secondReadSees(undefined)).toEqual([]); // InnoDB's default: repeatable read
  });

  it('rejects misuse with clear errors, and rolls back', async () => {
    expect(() => new MysqlUnitOfWork({ pool: {} as Pool })).toThrow(InvalidArgumentError);
    expect(() => new MysqlUnitOfWork({ pool, isolationLevel: 'chaos' as never })).toThrow(/isolationLevel/);
    expect(() => new MysqlUnitOfWork({ pool, isolation: 'serializable' } as never)).toThrow(/unknown option/);
    await expect(unitOfWork.transaction('nope' as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(unitOfWork.query({} as PoolConnection, 'SELECT 1')).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );

    await expect(
      unitOfWork.transaction(async () => {
        await Promise.all([
          unitOfWork.transaction((c) => insert(c, 'x')),
          unitOfWork.transaction((c) => insert(c, 'y')),
        ]);
      }),
    ).rejects.toThrow(/still running/);

    await expect(
      unitOfWork.transaction(async () => {
        void unitOfWork.transaction(async (c) => {
          await sleep(50);
          await insert(c, 'late');
        });
      }),
    ).rejects.toThrow(/missing await/);

    let escaped: Promise<unknown> | undefined;
    await unitOfWork.transaction(async () => {
      escaped = sleep(50).then(() => unitOfWork.transaction((c) => insert(c, 'escaped')));
    });
    await expect(escaped).rejects.toThrow(/already ended/);

    expect(await names()).toEqual([]);
    expect(checkedOut(pool)).toBe(0);
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
      seen.push(`${event.name}:${(await names()).join(',')}`);
    });
    const flusher = new Flusher({ dispatcher, unitOfWork });
    const basket = new Basket();
    await flusher.transaction(async (connection) => {
      basket.add('apple');
      await insert(connection, 'apple');
      return [basket];
    });
    expect(seen).toEqual(['apple:apple']);

    const failing = new Basket();
    await expect(
      flusher.transaction(async (connection) => {
        failing.add('pear');
        await insert(connection, 'pear');
        await insert(connection, 'apple'); // duplicate key
        return [failing];
      }),
    ).rejects.toMatchObject({ errno: 1062 });
    expect(seen).toEqual(['apple:apple']);
    expect(failing.peekEvents()).toHaveLength(1);
  });
});
