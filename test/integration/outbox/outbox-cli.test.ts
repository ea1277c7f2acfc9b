// `tidings outbox migrate|status|relay`, run from the built package as a user runs it.
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { encodeOutboxMessage } from '../../../src/index.js';
import { AmqpTransport } from '../../../src/rabbitmq.js';
import { PgOutbox } from '../../../src/postgres.js';
import { deleteDeclared } from '../../helpers/declared-names.js';
import { AMQP_URL } from '../servers.js';
import { createPool, dropOutbox, PG_URL, uniqueName } from './pg-helpers.js';

const CLI = 'dist/esm/cli/tidings.js';
const table = uniqueName();
const pool = createPool();
const env = { ...process.env, DATABASE_URL: PG_URL, AMQP_URL };
const run = (...args: string[]) =>
  promisify(execFile)(process.execPath, [CLI, ...args], { env, timeout: 30_000 }).catch(
    (error: { code: number; stdout: string; stderr: string }) => error,
  );

afterAll(async () => {
  await dropOutbox(pool, table);
  await pool.end();
});

describe('tidings outbox', () => {
  it('migrate --print shows the SQL; migrate creates the table; status reports it', async () => {
    const printed = await run('outbox', 'migrate', '--print', '--table', table);
    expect(printed.stdout).toMatch(new RegExp(`CREATE TABLE IF NOT EXISTS "public"."${table}"`));
    expect((await pool.query(`SELECT to_regclass($1) AS t`, [table])).rows[0].t).toBeNull();
    expect((await run('outbox', 'migrate', '--table', table)).stdout).toContain('outbox table ready');
    expect((await run('outbox', 'status', '--table', table)).stdout).toMatch(
      /^pending 0 \(oldest 0 s\), in flight 0, failing 0, published 0/,
    );
  });

  it('relay publishes committed rows until SIGTERM, then stops gracefully', async () => {
    const exchange = `cli${randomUUID().slice(0, 8)}`;
    const transport = new AmqpTransport({ url: AMQP_URL });
    // Also when an expectation fails on the way.
    onTestFinished(async () => {
      await deleteDeclared(transport, { queues: [`${exchange}.q`], exchanges: [exchange] });
      await transport.close();
    });
    await transport.declare({
      exchanges: [{ name: exchange, type: 'topic' }],
      queues: [{ name: `${exchange}.q` }],
      bindings: [{ queue: `${exchange}.q`, exchange, pattern: '#' }],
    });
    const outbox = new PgOutbox({ pool, table });
    const client = await pool.connect();
    await client.query('BEGIN');
    await outbox.add(
      Array.from({ length: 5 }, (_, n) => encodeOutboxMessage({ n }, `${exchange}.made`)),
      client,
    );
    await client.query('COMMIT');
    client.release();

    const child = spawn(process.execPath, [CLI, 'outbox', 'relay', '--table', table, '--batch', '10'], {
      env,
    });
    onTestFinished(() => void child.kill('SIGKILL')); // no-op once it has exited
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const deadline = Date.now() + 10_000;
    while (((await transport.queueStats(`${exchange}.q`))?.messageCount ?? 0) < 5 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await transport.queueStats(`${exchange}.q`))?.messageCount).toBe(5);
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(stdout).toMatch(/relaying as .*\n[\s\S]*stopped; published 5/);
    expect((await outbox.stats()).pending).toBe(0);
  });

  it('says what is missing', async () => {
    const noDatabase = await promisify(execFile)(process.execPath, [CLI, 'outbox', 'status'], {
      env: { ...process.env, DATABASE_URL: '' },
    }).catch((error: { code: number; stderr: string }) => error);
    expect(noDatabase).toMatchObject({ code: 2 });
    expect((noDatabase as { stderr: string }).stderr).toContain('--database-url');
  });
});
