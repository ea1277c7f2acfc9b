import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SqlDialect, SqlUnitOfWork } from '../../../src/deferred/sql-unit-of-work.js';
import { InvalidArgumentError } from '../../../src/errors/invalid-argument-error.js';
import { binaryValue, dateValue, integerValue, jsonValue } from '../../../src/internal/sql-values.js';
import { createObserver, uniqueTable } from './observer.js';
import type { Observer } from './observer.js';

/** What a test file hands the suite: a unit of work on the database of `dialect`, and how to close it. */
export interface SqlUnitOfWorkFixture<Tx> {
  readonly unitOfWork: SqlUnitOfWork<Tx>;
  close(): Promise<void>;
}

const TYPES: Readonly<Record<SqlDialect, string>> = {
  postgres: `s text, n double precision, big bigint, flag boolean, nothing text,
    at timestamptz(3), bin bytea, doc jsonb`,
  mysql: `s varchar(200), n double, big bigint, flag boolean, nothing varchar(10),
    at datetime(3), bin blob, doc json`,
};

/** A value of each type the contract lists, with non-UTF-8 bytes and a bigint beyond 2^53. */
const VALUES = {
  s: "it's “quoted” — ünïcode",
  n: 1.5,
  big: 2n ** 40n + 1n,
  flag: true,
  nothing: null,
  at: new Date('2026-01-02T03:04:05.678Z'),
  bin: Buffer.from([0, 255, 1, 128, 10]),
  doc: JSON.stringify({ a: [1, 'two'], b: null }),
} as const;
const HUGE = 2n ** 53n + 1n;

/**
 * Registers the tests every `SqlUnitOfWork` must pass (the contract in its TSDoc), on a scratch table
 * the suite creates with a connection of its own and drops at the end. `setup` runs once, before the
 * tests; the suite calls `close` after them.
 *
 * @example
 * describeSqlUnitOfWork('KnexUnitOfWork', 'postgres', async () => {
 *   const db = knex({ client: 'pg', connection: PG_URL });
 *   return { unitOfWork: new KnexUnitOfWork(db), close: () => db.destroy() };
 * });
 */
export function describeSqlUnitOfWork<Tx>(
  name: string,
  dialect: SqlDialect,
  setup: () => Promise<SqlUnitOfWorkFixture<Tx>>,
): void {
  describe(`SqlUnitOfWork contract: ${name} on ${dialect}`, () => {
    const items = uniqueTable('items');
    const values = uniqueTable('values');
    const p = (index: number): string => (dialect === 'postgres' ? `$${index}` : '?');
    let observer: Observer;
    let fixture: SqlUnitOfWorkFixture<Tx> | undefined;
    let uow: SqlUnitOfWork<Tx>;

    const insert = (tx: Tx, name: string, n = 0) =>
      uow.query(tx, `INSERT INTO ${items} (name, n) VALUES (${p(1)}, ${p(2)})`, [name, n]);
    /** What a connection outside the adapter sees: committed rows only. */
    const committed = async (): Promise<string[]> =>
      (await observer.query<{ name: string }>(`SELECT name FROM ${items} ORDER BY id`)).map((r) => r.name);

    beforeAll(async () => {
      observer = createObserver(dialect);
      const serial = dialect === 'postgres' ? 'serial' : 'int AUTO_INCREMENT';
      await observer.query(
        `CREATE TABLE ${items} (id ${serial} PRIMARY KEY, name varchar(100) NOT NULL, n int NOT NULL)`,
      );
      await observer.query(`CREATE TABLE ${values} (id int PRIMARY KEY, ${TYPES[dialect]})`);
      fixture = await setup();
      uow = fixture.unitOfWork;
    });

    afterAll(async () => {
      await fixture?.close();
      await observer.query(`DROP TABLE IF EXISTS ${items}`);
      await observer.query(`DROP TABLE IF EXISTS ${values}`);
      await observer.close();
    });

    beforeEach(async () => {
      await observer.query(`DELETE FROM ${items}`);
      await observer.query(`DELETE FROM ${values}`);
    });

    it(`says its dialect is ${dialect}`, () => {
      expect(uow.dialect).toBe(dialect);
    });

    it('says whether the caller runs inside one of its transactions, at any depth', async () => {
      const inTransaction = () => (uow as unknown as { inTransaction: boolean }).inTransaction;
      expect(inTransaction()).toBe(false);
      const seen = await uow.transaction(async () => {
        const outer = inTransaction();
        const nested = await uow.transaction(async () => inTransaction());
        return [outer, nested, inTransaction()];
      });
      expect(seen).toEqual([true, true, true]);
      expect(inTransaction()).toBe(false);
    });

    it('runs a statement in the transaction it handed out, which sees its own writes', async () => {
      const result = await uow.transaction(async (tx) => {
        await insert(tx, 'a', 1);
        const { rows, rowCount } = await uow.query<{ name: string; n: unknown }>(
          tx,
          `SELECT name, n FROM ${items} WHERE name = ${p(1)}`,
          ['a'],
        );
        expect(rows.map((row) => ({ name: row.name, n: integerValue(row.n) }))).toEqual([
          { name: 'a', n: 1 },
        ]);
        expect(rowCount).toBe(1);
        expect(await committed()).toEqual([]);
        return 'done';
      });
      expect(result).toBe('done');
    });

    it('has committed when transaction() resolves: another connection sees the rows at once', async () => {
      await uow.transaction(async (tx) => {
        await insert(tx, 'a');
        await insert(tx, 'b');
      });
      expect(await committed()).toEqual(['a', 'b']);
    });

    it('rolls everything back when the work throws, and rejects with that error', async () => {
      const failure = new Error('boom');
      await expect(
        uow.transaction(async (tx) => {
          await insert(tx, 'a');
          await insert(tx, 'b');
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect(await committed()).toEqual([]);
    });

    it('runs a nested transaction that throws as a savepoint: only its writes are undone', async () => {
      await uow.transaction(async (tx) => {
        await insert(tx, 'outer');
        await expect(
          uow.transaction(async (inner) => {
            await insert(inner, 'inner');
            throw new Error('inner boom');
          }),
        ).rejects.toThrow('inner boom');
        await uow.transaction(async (inner) => {
          await insert(inner, 'inner-ok');
        });
        await insert(tx, 'after');
      });
      expect(await committed()).toEqual(['outer', 'inner-ok', 'after']);
    });

    it('undoes a nested transaction that committed when the outer one throws', async () => {
      await expect(
        uow.transaction(async (tx) => {
          await insert(tx, 'outer');
          await uow.transaction((inner) => insert(inner, 'inner'));
          throw new Error('outer boom');
        }),
      ).rejects.toThrow('outer boom');
      expect(await committed()).toEqual([]);
    });

    it('nests to more than one level', async () => {
      await uow.transaction(async (tx) => {
        await insert(tx, '0');
        await uow.transaction(async (one) => {
          await insert(one, '1');
          await uow
            .transaction(async (two) => {
              await insert(two, '2');
              throw new Error('level 2');
            })
            .catch(() => undefined);
          await uow.transaction((two) => insert(two, '2-ok'));
        });
      });
      expect(await committed()).toEqual(['0', '1', '2-ok']);
    });

    it('counts the rows an INSERT, UPDATE and DELETE touched, and the rows a SELECT returned', async () => {
      await uow.transaction(async (tx) => {
        const inserted = await uow.query(
          tx,
          `INSERT INTO ${items} (name, n) VALUES (${p(1)}, 1), (${p(2)}, 2), (${p(3)}, 3)`,
          ['a', 'b', 'c'],
        );
        expect(inserted.rowCount).toBe(3);
        expect(inserted.rows).toEqual([]);
        const updated = await uow.query(tx, `UPDATE ${items} SET n = n + 10 WHERE n < ${p(1)}`, [3]);
        expect(updated.rowCount).toBe(2);
        const none = await uow.query(tx, `UPDATE ${items} SET n = 0 WHERE name = ${p(1)}`, ['zzz']);
        expect(none.rowCount).toBe(0);
        const deleted = await uow.query(tx, `DELETE FROM ${items} WHERE name = ${p(1)}`, ['c']);
        expect(deleted.rowCount).toBe(1);
        const selected = await uow.query<{ name: string }>(tx, `SELECT name FROM ${items} ORDER BY name`);
        expect(selected.rowCount).toBe(2);
        expect(selected.rows).toEqual([{ name: 'a' }, { name: 'b' }]);
        const counted = await uow.query<{ c: unknown }>(tx, `SELECT count(*) AS c FROM ${items}`);
        expect(integerValue(counted.rows[0]?.c)).toBe(2);
      });
    });

    if (dialect === 'postgres') {
      it('returns the rows of an INSERT … RETURNING with their count', async () => {
        await uow.transaction(async (tx) => {
          const { rows, rowCount } = await uow.query<{ name: string }>(
            tx,
            `INSERT INTO ${items} (name, n) VALUES ($1, 1), ($2, 2) RETURNING name`,
            ['a', 'b'],
          );
          expect(rows).toEqual([{ name: 'a' }, { name: 'b' }]);
          expect(rowCount).toBe(2);
        });
      });

      it('binds $n placeholders used out of order and twice', async () => {
        await uow.transaction(async (tx) => {
          const { rows } = await uow.query(tx, 'SELECT $2::text AS a, $1::text AS b, $1::text AS c', [
            'x',
            'y',
          ]);
          expect(rows).toEqual([{ a: 'y', b: 'x', c: 'x' }]);
        });
      });
    }

    it('binds strings, numbers, bigints, booleans, null, Dates, Buffers and JSON text, never splicing them', async () => {
      const columns = Object.keys(VALUES);
      const placeholders = columns.map((_, i) => p(i + 2)).join(', ');
      const read = async (query: (sql: string, params: unknown[]) => Promise<Record<string, unknown>[]>) => {
        const [row] = await query(`SELECT ${columns.join(', ')} FROM ${values} WHERE id = ${p(1)}`, [1]);
        return {
          s: row?.s,
          n: Number(row?.n),
          big: BigInt(integerValue(row?.big)),
          // MySQL's BOOLEAN is a TINYINT(1): 1 and 0 unless the driver maps them.
          flag: row?.flag === true || row?.flag === 1 || row?.flag === '1',
          nothing: row?.nothing,
          at: dateValue(row?.at),
          bin: binaryValue(row?.bin),
          doc: jsonValue(row?.doc),
        };
      };
      const expected = { ...VALUES, doc: JSON.parse(VALUES.doc) as unknown };
      await uow.transaction(async (tx) => {
        await uow.query(
          tx,
          `INSERT INTO ${values} (id, ${columns.join(', ')}) VALUES (${p(1)}, ${placeholders})`,
          [1, ...Object.values(VALUES)],
        );
        expect(await read(async (sql, params) => (await uow.query(tx, sql, params)).rows)).toEqual(expected);
        // A bigint beyond 2^53 is bound exactly: compared by the server, not read back as a number.
        await uow.query(tx, `UPDATE ${values} SET big = ${p(1)} WHERE id = 1`, [HUGE]);
        const { rows } = await uow.query(
          tx,
          `SELECT id FROM ${values} WHERE big = ${p(1)} AND big <> ${p(2)}`,
          [HUGE, HUGE - 1n],
        );
        expect(rows).toHaveLength(1);
        // A statement-like string stays a value.
        await uow.query(tx, `UPDATE ${values} SET s = ${p(1)} WHERE id = 1`, [
          `'); DROP TABLE ${values}; --`,
        ]);
      });
      const [row] = await observer.query<{ s: string; big: unknown }>(`SELECT s, big FROM ${values}`);
      expect(row?.s).toBe(`'); DROP TABLE ${values}; --`);
      expect(String(row?.big)).toBe(HUGE.toString());
    });

    it('gives each statement a plain object per row, keyed by column name', async () => {
      await uow.transaction(async (tx) => {
        await insert(tx, 'a', 7);
        const { rows } = await uow.query(tx, `SELECT name AS label, n AS amount FROM ${items}`);
        expect(Object.keys(rows[0] ?? {}).sort()).toEqual(['amount', 'label']);
      });
    });

    it('refuses a work that is not a function, with an InvalidArgumentError', async () => {
      await expect(uow.transaction('work' as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    });
  });
}
