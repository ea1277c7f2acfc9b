// `tidings dead-letters list|replay|purge|archive` with an --app-id whose dead-letter queue does not
// exist: exit code 1 and a message naming the queue it looked for, instead of "0 dead letter(s)" — and
// the queue (and the archive table) are not created by looking. The built CLI, against RabbitMQ.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AmqpTransport } from '../../src/adapters/rabbitmq/amqp-transport.js';
import { redactUrl } from '../../src/internal/redact.js';
import { createPool, PG_URL, uniqueName } from './outbox/pg-helpers.js';
import { AMQP_URL } from './servers.js';

const CLI = 'dist/esm/cli/tidings.js';

async function tidings(
  env: Record<string, string | undefined>,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], {
      env: { ...process.env, AMQP_URL, DATABASE_URL: PG_URL, MESSAGE_BROKER: 'rabbitmq', ...env },
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('tidings dead-letters with a dead-letter queue that does not exist', () => {
  const id = `cli-nodlq-${randomUUID().slice(0, 8)}`;
  const transport = new AmqpTransport({ url: AMQP_URL });
  const pool = createPool();
  const table = uniqueName('tidings_dead_letters');
  const broker = redactUrl(AMQP_URL);

  beforeAll(() => {
    expect(existsSync(CLI), `${CLI} is missing: run npm run build first`).toBe(true);
  });
  afterAll(async () => {
    await transport.deleteQueue(`${id}-real.dead-letters`).catch(() => {});
    await transport.close();
    await pool.query(`DROP TABLE IF EXISTS "${table}"`);
    await pool.end();
  });

  it('list, replay, purge and archive exit with 1 and name the queue; nothing is created', async () => {
    const appId = `${id}-typo`;
    const expected = `tidings: no dead-letter queue "${appId}.dead-letters" on ${broker}: check --app-id\n`;
    for (const args of [
      ['list'],
      ['list', '--json'],
      ['replay'],
      ['replay', '--dry-run'],
      ['purge'],
      ['purge', '--reason', 'expired', '--dry-run'],
      ['archive', '--table', table],
    ]) {
      const outcome = await tidings({}, 'dead-letters', ...args, '--app-id', appId);
      expect(outcome, args.join(' ')).toEqual({ code: 1, stdout: '', stderr: expected });
    }
    expect(await transport.queueStats(`${appId}.dead-letters`)).toBeUndefined();
    const { rows } = await pool.query<{ found: string | null }>('SELECT to_regclass($1) AS found', [table]);
    expect(rows[0]?.found, 'archive creates its table only for a queue that exists').toBeNull();
  });

  it('names the option to check: --dead-letter-queue, or TIDINGS_APP_ID when it chose the queue', async () => {
    const queue = `${id}.no-such-queue`;
    expect(await tidings({}, 'dead-letters', 'list', '--dead-letter-queue', queue)).toEqual({
      code: 1,
      stdout: '',
      stderr: `tidings: no dead-letter queue "${queue}" on ${broker}: check --dead-letter-queue\n`,
    });
    const fromEnv = await tidings({ TIDINGS_APP_ID: `${id}-env` }, 'dead-letters', 'replay');
    expect(fromEnv.code).toBe(1);
    expect(fromEnv.stderr).toBe(
      `tidings: no dead-letter queue "${id}-env.dead-letters" on ${broker}: check --app-id (TIDINGS_APP_ID)\n`,
    );
  });

  it('on the memory broker too (MESSAGE_BROKER=memory starts empty)', async () => {
    const outcome = await tidings({ MESSAGE_BROKER: 'memory' }, 'dead-letters', 'list', '--app-id', id);
    expect(outcome).toEqual({
      code: 1,
      stdout: '',
      stderr:
        `tidings: no dead-letter queue "${id}.dead-letters" on the in-process memory broker ` +
        '(MESSAGE_BROKER=memory): check --app-id\n',
    });
  });

  it('an empty dead-letter queue that exists is not an error', async () => {
    const appId = `${id}-real`;
    await transport.declare({ exchanges: [], queues: [{ name: `${appId}.dead-letters` }], bindings: [] });
    expect(await tidings({}, 'dead-letters', 'list', '--app-id', appId)).toEqual({
      code: 0,
      stdout: `0 dead letter(s) in ${appId}.dead-letters\n`,
      stderr: '',
    });
    expect((await tidings({}, 'dead-letters', 'purge', '--app-id', appId)).stdout).toBe(
      `purged 0 dead letter(s) from ${appId}.dead-letters\n`,
    );
  });
});
