import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idempotent } from '../../../src/messaging/inbox/idempotent.js';
import type { ConsumedMessage } from '../../../src/index.js';
import { MysqlInbox, mysqlInboxSchemaSql, MysqlUnitOfWork } from '../../../src/mysql.js';
import { createPool, uniqueName } from './mysql-helpers.js';

const pool = createPool();
const table = uniqueName('tidings_inbox');
const unitOfWork = new MysqlUnitOfWork({ pool });
const inbox = new MysqlInbox({ unitOfWork, table });

beforeAll(async () => {
  await inbox.ensureSchema();
  await new MysqlInbox({ pool, table }).ensureSchema(); // idempotent
});

afterAll(async () => {
  await pool.query(`DROP TABLE IF EXISTS ${table}`);
  await pool.end();
});

describe('MysqlInbox', () => {
  it('records a message once per consumer, in the caller transaction', async () => {
    expect(await unitOfWork.transaction((tx) => inbox.record('billing', 'm-1', tx))).toBe(true);
    expect(await unitOfWork.transaction((tx) => inbox.record('billing', 'm-1', tx))).toBe(false);
    expect(await unitOfWork.transaction((tx) => inbox.record('shipping', 'm-1', tx))).toBe(true);
    // Rolled back with the transaction: not processed.
    await expect(
      unitOfWork.transaction(async (tx) => {
        expect(await inbox.record('billing', 'm-2', tx)).toBe(true);
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    expect(await unitOfWork.transaction((tx) => inbox.record('billing', 'm-2', tx))).toBe(true);
  });

  it('makes a handler idempotent: a redelivered message changes the database once', async () => {
    let runs = 0;
    const handler = idempotent({ inbox, unitOfWork, consumer: 'counter' }, async () => {
      runs++;
      await Promise.resolve();
    });
    const message = { messageId: 'm-3' } as ConsumedMessage;
    await handler(message);
    await handler(message);
    await Promise.all([
      handler({ messageId: 'm-4' } as ConsumedMessage),
      handler({ messageId: 'm-4' } as ConsumedMessage),
    ]);
    expect(runs).toBe(2);
  });

  it('validates names and values', async () => {
    expect(mysqlInboxSchemaSql({ table: 'billing_inbox' })).toContain(
      'CREATE TABLE IF NOT EXISTS `billing_inbox`',
    );
    expect(() => new MysqlInbox({ pool, table: 'Bad-Name' })).toThrow(/table must be/);
    await expect(
      unitOfWork.transaction((tx) => inbox.record('billing', 'x'.repeat(256), tx)),
    ).rejects.toThrow(/messageId must be a string of 1 to 255/);
  });
});
