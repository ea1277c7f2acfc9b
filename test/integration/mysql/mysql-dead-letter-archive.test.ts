// MysqlDeadLetterArchive against RabbitMQ and MySQL/MariaDB: the archive contract that PgDeadLetterArchive
// runs too (archive-contract.ts), and what is MySQL's own: the columns as MySQL stores them (LONGBLOB
// body, JSON text keeping key order, UTC DATETIME(3)), a unit of work instead of a pool, bad options.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { HEADERS, InvalidArgumentError } from '../../../src/index.js';
import {
  MysqlDeadLetterArchive,
  mysqlDeadLetterArchiveSchemaSql,
  MysqlUnitOfWork,
  type MysqlDeadLetterArchiveOptions,
} from '../../../src/mysql.js';
import { Cleanups } from '../faults/fault-helpers.js';
import {
  archiveContract,
  BINARY,
  type ArchiveUnderTest,
  type SqlRow,
} from '../dead-letter-archive/archive-contract.js';
import { scene, type Scene } from '../dead-letter-archive/archive-helpers.js';
import { createPool, uniqueName } from './mysql-helpers.js';

const pool = createPool();
const cleanups = new Cleanups();
afterEach(() => cleanups.run());
afterAll(() => pool.end());

/** An archive of the scene's application in a fresh table, dropped by the cleanups. */
function mysqlArchive(
  s: Scene,
  options: Partial<MysqlDeadLetterArchiveOptions> = {},
): MysqlDeadLetterArchive & { table: string } {
  const table = options.table ?? uniqueName('tidings_dead_letters');
  cleanups.add(() => pool.query(`DROP TABLE IF EXISTS \`${table}\``));
  const archive = new MysqlDeadLetterArchive({
    ...(options.unitOfWork === undefined ? { pool } : {}),
    transport: s.transport,
    appId: s.appId,
    table,
    ...options,
  });
  return Object.assign(archive, { table });
}

async function open(s: Scene): Promise<ArchiveUnderTest> {
  const archive = mysqlArchive(s);
  return Object.assign(archive, {
    sqlRow: async (messageId: string) => {
      const [rows] = await pool.query(
        `SELECT body, reason, JSON_UNQUOTE(JSON_EXTRACT(headers, '$."x-tidings-dead-reason"')) AS from_header,
           status FROM \`${archive.table}\` WHERE message_id = ?`,
        [messageId],
      );
      return rows as SqlRow[];
    },
  });
}

archiveContract({ name: 'MysqlDeadLetterArchive', open }, cleanups);

describe('MysqlDeadLetterArchive', () => {
  it('stores the body as bytes, the headers as JSON text in their order, times as UTC DATETIME(3); the schema SQL is what ensureSchema runs', async () => {
    const s = await scene(cleanups, 'my-cols');
    await s.deadLetterRaw(BINARY, {
      messageId: 'binary-my',
      contentType: 'application/octet-stream',
      headers: { 'z-last': 'z', 'a-first': 'a', 'x-signature': Buffer.from([1, 2, 3, 0]) },
    });
    const archive = mysqlArchive(s);
    // The DDL as a migration would apply it, then ensureSchema on top: both idempotent.
    await pool.query(mysqlDeadLetterArchiveSchemaSql({ table: archive.table }));
    await archive.ensureSchema();
    await archive.ensureSchema();
    const before = Date.now();
    expect(await archive.archive()).toMatchObject({ archived: 1 });

    const [rows] = await pool.query(
      `SELECT body, headers, DATE_FORMAT(archived_at, '%Y-%m-%dT%H:%i:%s.%fZ') AS archived_at,
         COLUMN_TYPE AS type
       FROM \`${archive.table}\`,
         information_schema.COLUMNS
       WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = 'body'`,
      [archive.table],
    );
    const [row] = rows as { body: Buffer; headers: string; archived_at: string; type: string }[];
    expect(row!.type.toLowerCase()).toBe('longblob');
    expect(row!.body.equals(BINARY)).toBe(true);
    const keys = Object.keys(JSON.parse(row!.headers) as object);
    expect(keys.indexOf('z-last')).toBeLessThan(keys.indexOf('a-first'));
    // UTC whatever the session's time zone: within a few seconds of the test's clock.
    expect(Math.abs(new Date(row!.archived_at).getTime() - before)).toBeLessThan(10_000);

    const [archived] = await archive.list();
    expect(archived!.archivedAt.getTime()).toBe(new Date(row!.archived_at).getTime());
    expect(Object.keys(archived!.properties.headers).slice(0, 3)).toEqual([
      'z-last',
      'a-first',
      'x-signature',
    ]);
    expect(archived!.properties.headers['x-signature']).toEqual(Buffer.from([1, 2, 3, 0]));
  });

  it('replays to the original queue with the same body bytes and headers', async () => {
    const s = await scene(cleanups, 'my-replay');
    const headers = { 'x-signature': Buffer.from([9, 0, 8]), 'x-note': 'kept', 'x-count': 7 };
    await s.deadLetterRaw(BINARY, {
      messageId: 'binary-r',
      contentType: 'application/octet-stream',
      headers,
    });
    const archive = mysqlArchive(s);
    await archive.ensureSchema();
    await archive.archive();
    const [row] = await archive.list();
    // Still undecodable: the replay reaches the consumer, fails again and comes back to be archived.
    expect(await archive.replay({ ids: [row!.id] })).toMatchObject({ replayed: 1, failed: [] });
    expect((await archive.get(row!.id))!.status).toBe('replayed');
    await s.deadLettered('binary-r', 2);
    expect(await archive.archive()).toMatchObject({ archived: 1 });
    const [again] = await archive.list();
    expect(again!.content.equals(BINARY)).toBe(true);
    expect(again!.queue).toBe(s.queue);
    expect(again!.properties.headers).toMatchObject(headers);
    expect(again!.properties.headers[HEADERS.replays]).toBe(1);
  });

  it('runs over a MysqlUnitOfWork given as unitOfWork, as over its pool', async () => {
    const s = await scene(cleanups, 'my-uow');
    const [messageId] = await s.deadLetter({ n: 1 });
    const archive = mysqlArchive(s, { unitOfWork: new MysqlUnitOfWork({ pool }) });
    await archive.ensureSchema();
    expect(await archive.archive()).toMatchObject({ archived: 1 });
    const [row] = await archive.list();
    expect(row).toMatchObject({ messageId, status: 'pending' });
    expect(await archive.discard({ ids: [row!.id] })).toEqual([row!.id]);
    expect(await archive.counts()).toEqual({ pending: 0, replayed: 0, discarded: 1 });
  });

  it('rejects bad options and ids with InvalidArgumentError naming them, and never puts a password in an error', async () => {
    const s = await scene(cleanups, 'my-args');
    const base = { pool, transport: s.transport, appId: s.appId };
    const refused = (options: unknown, message: RegExp): void => {
      expect(() => new MysqlDeadLetterArchive(options as MysqlDeadLetterArchiveOptions)).toThrow(
        InvalidArgumentError,
      );
      expect(() => new MysqlDeadLetterArchive(options as MysqlDeadLetterArchiveOptions)).toThrow(message);
    };
    refused({ ...base, table: 'Bad-Name' }, /MysqlDeadLetterArchive: table must be/);
    refused({ ...base, table: 'x'.repeat(59) }, /table must be 1 to 58/);
    refused({ ...base, schema: 'public' }, /unknown option "schema"/);
    refused({ ...base, pool: {} }, /"pool" must be a mysql2 Pool/);
    refused({ ...base, unitOfWork: new MysqlUnitOfWork({ pool }) }, /give either "unitOfWork" or "pool"/);
    refused({ transport: s.transport }, /give either "unitOfWork" or "pool"/);
    refused({ ...base, transport: undefined }, /"transport" must be a Transport/);
    const secretUrl = 'mysql://root:hunter2-secret@127.0.0.1:3306/test';
    expect(() => new MysqlDeadLetterArchive({ ...base, pool: secretUrl as never })).toThrow(/\*\*\*/);
    expect(() => new MysqlDeadLetterArchive({ ...base, pool: secretUrl as never })).not.toThrow(/hunter2/);

    const archive = mysqlArchive(s);
    await expect(archive.get('1; DROP TABLE x')).rejects.toThrow(InvalidArgumentError);
    await expect(archive.get('99999999999999999999')).rejects.toThrow(/get: id must be an archive id/);
    await expect(archive.replay({ ids: [1 as never] })).rejects.toThrow(/ids\[0\] must be/);
    await expect(archive.list({ status: 'done' as never })).rejects.toThrow(/status must be/);
    await expect(archive.list({ limit: 0 })).rejects.toThrow(/list: limit must be/);
    await expect(archive.archive({ dryRun: true } as never)).rejects.toThrow(/unknown option "dryRun"/);
    await expect(archive.purge({ olderThan: 'yesterday' as never })).rejects.toThrow(InvalidArgumentError);
    expect(() => mysqlDeadLetterArchiveSchemaSql({ table: 'a b' })).toThrow(
      /mysqlDeadLetterArchiveSchemaSql: table/,
    );

    // A server that refuses the password: the driver's error names the user, never the password.
    const wrong = createPool({ uri: 'mysql://tidings_nobody:hunter2-secret@127.0.0.1:3306/test' });
    cleanups.add(() => wrong.end());
    const unreachable = new MysqlDeadLetterArchive({ pool: wrong, transport: s.transport, appId: s.appId });
    const error = await unreachable.counts().catch((caught: unknown) => caught as Error);
    expect(error).toBeInstanceOf(Error);
    expect(`${(error as Error).message} ${(error as Error).stack}`).not.toMatch(/hunter2/);
  });
});
