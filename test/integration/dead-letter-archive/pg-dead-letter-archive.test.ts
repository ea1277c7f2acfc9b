// PgDeadLetterArchive against RabbitMQ and PostgreSQL: the archive contract (archive-contract.ts), and
// what is PostgreSQL's own (its options, a unit of work instead of a pool).
import { afterEach, describe, expect, it } from 'vitest';
import knex from 'knex';
import { InvalidArgumentError, TransactionStateError } from '../../../src/index.js';
import { KnexUnitOfWork } from '../../../src/knex.js';
import { DATABASE_URL } from '../servers.js';
import { PgUnitOfWork } from '../../../src/postgres.js';
import { Cleanups } from '../faults/fault-helpers.js';
import { archiveContract, type ArchiveUnderTest, type SqlRow } from './archive-contract.js';
import { scene, type Scene } from './archive-helpers.js';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

async function open(s: Scene): Promise<ArchiveUnderTest> {
  const archive = s.archive();
  return Object.assign(archive, {
    sqlRow: async (messageId: string) =>
      (
        await s.pool.query<SqlRow>(
          `SELECT body, reason, headers->>'x-tidings-dead-reason' AS from_header, status
             FROM "public"."${s.table}" WHERE message_id = $1`,
          [messageId],
        )
      ).rows,
  });
}

archiveContract({ name: 'PgDeadLetterArchive', open }, cleanups);

describe('PgDeadLetterArchive', () => {
  it('runs over a PgUnitOfWork given as unitOfWork, as over its pool', async () => {
    const s = await scene(cleanups, 'uow');
    const [messageId] = await s.deadLetter({ n: 1 });
    const archive = s.archive({ pool: undefined, unitOfWork: new PgUnitOfWork({ pool: s.pool }) });
    await archive.ensureSchema();
    expect(await archive.archive()).toMatchObject({ archived: 1 });
    const [row] = await archive.list();
    expect(row).toMatchObject({ messageId, status: 'pending' });
    expect(await archive.discard({ ids: [row!.id] })).toEqual([row!.id]);
    expect(await archive.counts()).toEqual({ pending: 0, replayed: 0, discarded: 1 });
    expect(() => s.archive({ unitOfWork: new PgUnitOfWork({ pool: s.pool }) })).toThrow(
      /give either "unitOfWork" or "pool"/,
    );
  });

  it("over an ORM's unit of work, refuses to run inside the caller's transaction, where its commit would be a savepoint", async () => {
    const s = await scene(cleanups, 'knex');
    const db = knex({ client: 'pg', connection: DATABASE_URL, pool: { min: 0, max: 2 } });
    cleanups.add(() => db.destroy());
    const unitOfWork = new KnexUnitOfWork(db);
    const archive = s.archive({ pool: undefined, unitOfWork });
    await archive.ensureSchema();
    const [messageId] = await s.deadLetter({ n: 1 });
    await unitOfWork.transaction(async () => {
      await expect(archive.archive()).rejects.toBeInstanceOf(TransactionStateError);
    });
    // Outside, it archives: the message was left in the queue by the refused run.
    expect(await archive.archive()).toMatchObject({ archived: 1 });
    expect((await archive.list()).map((row) => row.messageId)).toEqual([messageId]);
  });

  it('rejects bad options and ids with InvalidArgumentError', async () => {
    const s = await scene(cleanups, 'args');
    const archive = s.archive();
    expect(() => s.archive({ table: 'Bad-Name' })).toThrow(InvalidArgumentError);
    expect(() => s.archive({ pool: {} as never })).toThrow(/"pool" must be a pg Pool/);
    await expect(archive.get('1; DROP TABLE x')).rejects.toThrow(InvalidArgumentError);
    await expect(archive.get('99999999999999999999')).rejects.toThrow(InvalidArgumentError);
    await expect(archive.replay({ ids: [1 as never] })).rejects.toThrow(InvalidArgumentError);
    await expect(archive.list({ status: 'done' as never })).rejects.toThrow(/status must be/);
    await expect(archive.archive({ dryRun: true } as never)).rejects.toThrow(/unknown option "dryRun"/);
    await expect(archive.purge({ olderThan: 'yesterday' as never })).rejects.toThrow(InvalidArgumentError);
  });
});
