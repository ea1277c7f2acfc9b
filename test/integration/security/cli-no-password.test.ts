// The `tidings` command (the built dist/, as a user runs it) prints no password of --url, AMQP_URL,
// --database-url or DATABASE_URL, on stdout or stderr, whichever way the connection fails.
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgOutbox } from '../../../src/postgres.js';
import { waitFor } from '../faults/fault-helpers.js';
import { createPool, dropOutbox, message, PG_URL, uniqueName } from '../outbox/pg-helpers.js';
import { AMQP_URL, hostPort } from '../servers.js';
import { freePort } from './rabbitmq-admin.js';
import { encoded, SECRET, SecretCapture } from './secret-capture.js';

const CLI = 'dist/esm/cli/tidings.js';
const broker = hostPort(AMQP_URL, 5672);
const postgres = hostPort(PG_URL, 5432);
/** Without the servers' URLs of the test run: each case says what the command sees. */
const baseEnv = Object.fromEntries(
  Object.entries(process.env).filter(
    ([name]) => !['AMQP_URL', 'DATABASE_URL', 'MESSAGE_BROKER'].includes(name),
  ),
);

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function tidings(args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], {
      env: { ...baseEnv, ...env },
      timeout: 50_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as Outcome;
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** Runs `tidings outbox relay` until `until` holds for what it printed, then stops it with SIGTERM. */
async function relayUntil(args: string[], until: (output: Outcome) => boolean): Promise<Outcome> {
  const child = spawn(process.execPath, [CLI, 'outbox', 'relay', ...args], { env: baseEnv });
  const output: Outcome = { code: null, stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  try {
    await waitFor(() => until(output), 45_000, 'the relay to report the failure');
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  output.code = child.exitCode;
  return output;
}

describe('tidings never prints a password', () => {
  const capture = new SecretCapture();
  const secrets = [SECRET, `${SECRET}-amqp`, `${SECRET}-pg`];
  const [amqpSecret, otherSecret, pgSecret] = secrets.map(encoded) as [string, string, string];
  let closedPort = 0;

  beforeAll(async () => {
    expect(existsSync(CLI), `${CLI} is missing: run npm run build first`).toBe(true);
    closedPort = await freePort();
  });

  function record(label: string, outcome: Outcome): Outcome {
    capture.record(`${label} stdout`, outcome.stdout);
    capture.record(`${label} stderr`, outcome.stderr);
    return outcome;
  }

  it('dead-letters: nothing listens, the broker refuses, a failover list, a malformed URL', async () => {
    const closed = record(
      'closed port',
      await tidings(['dead-letters', 'list', '--url', `amqp://guest:${amqpSecret}@127.0.0.1:${closedPort}`]),
    );
    expect(closed.code).toBe(1);
    expect(closed.stderr).toContain(`amqp://guest:***@127.0.0.1:${closedPort}`);

    const refused = record(
      'refused',
      await tidings([
        'dead-letters',
        'list',
        '--url',
        `amqp://guest:${amqpSecret}@${broker.host}:${broker.port}`,
      ]),
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('ACCESS_REFUSED');

    const failover = record(
      'failover',
      await tidings(['dead-letters', 'list'], {
        MESSAGE_BROKER: 'rabbitmq',
        AMQP_URL: `amqp://guest:${otherSecret}@127.0.0.1:${closedPort},amqp://guest:${amqpSecret}@${broker.host}:${broker.port}`,
      }),
    );
    expect(failover.code).toBe(1);

    for (const malformed of [`amqp://guest:${SECRET}@127.0.0.1`, `guest:${SECRET}@127.0.0.1`]) {
      const outcome = record('malformed', await tidings(['dead-letters', 'purge', '--url', malformed]));
      expect(outcome.code).toBe(1);
      expect(outcome.stderr).toMatch(/AMQP URL/);
    }
    capture.assertNoSecret(...secrets);
  });

  it('outbox status: nothing listens, the server refuses the login, a malformed URL', async () => {
    const role = `tidings_no_such_role_${randomUUID().slice(0, 8)}`;
    for (const url of [
      `postgres://tidings:${pgSecret}@127.0.0.1:${closedPort}/test`,
      `postgres://${role}:${pgSecret}@${postgres.host}:${postgres.port}/test`,
    ]) {
      const flag = record(
        'status --database-url',
        await tidings(['outbox', 'status', '--database-url', url]),
      );
      expect(flag.code).toBe(1);
      expect(flag.stderr).toMatch(/^tidings: /);
      const env = record('status DATABASE_URL', await tidings(['outbox', 'status'], { DATABASE_URL: url }));
      expect(env.code).toBe(1);
    }
    const malformed = record(
      'status malformed',
      await tidings(['outbox', 'migrate', '--database-url', `postgres://tidings:${SECRET}@127.0.0.1/test`]),
    );
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('the PostgreSQL URL is not a valid URL (it is not shown');
    capture.assertNoSecret(...secrets);
  });

  it('dead-letter archive: nothing listens, the server refuses the login, a malformed URL', async () => {
    const role = `tidings_no_such_role_${randomUUID().slice(0, 8)}`;
    for (const url of [
      `postgres://tidings:${pgSecret}@127.0.0.1:${closedPort}/test`,
      `postgres://${role}:${pgSecret}@${postgres.host}:${postgres.port}/test`,
    ]) {
      const listed = record(
        'archived list',
        await tidings(['dead-letters', 'archived', 'list', '--database-url', url]),
      );
      expect(listed.code).toBe(1);
      expect(listed.stderr).toMatch(/^tidings: /);
    }
    const malformed = record(
      'archived malformed',
      await tidings([
        'dead-letters',
        'archived',
        'list',
        '--database-url',
        `postgres://tidings:${SECRET}@127.0.0.1/test`,
      ]),
    );
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('the PostgreSQL URL is not a valid URL (it is not shown');
    capture.assertNoSecret(...secrets);
  });

  describe('outbox relay', () => {
    const table = uniqueName();
    const pool = createPool();

    afterAll(async () => {
      await dropOutbox(pool, table);
      await pool.end();
    });

    it('reports the database it cannot reach, and retries, without its password', async () => {
      const outcome = record(
        'relay, no database',
        await relayUntil(
          [
            '--database-url',
            `postgres://tidings:${pgSecret}@127.0.0.1:${closedPort}/test`,
            '--url',
            `amqp://guest:${amqpSecret}@127.0.0.1:${closedPort}`,
          ],
          ({ stderr }) => (stderr.match(/\(retrying\)/g) ?? []).length >= 2,
        ),
      );
      expect(outcome.code).toBe(0);
      capture.assertNoSecret(...secrets);
    });

    it('reports the row it cannot publish to an unreachable broker without the broker password', async () => {
      const outbox = new PgOutbox({ pool, table });
      await outbox.ensureSchema();
      const client = await pool.connect();
      try {
        await outbox.add([message()], client);
      } finally {
        client.release();
      }
      const outcome = record(
        'relay, no broker',
        await relayUntil(
          [
            '--table',
            table,
            '--database-url',
            PG_URL,
            '--url',
            `amqp://guest:${amqpSecret}@127.0.0.1:${closedPort}`,
          ],
          ({ stderr }) => /^failed /m.test(stderr),
        ),
      );
      expect(outcome.stderr).toMatch(/^failed .* \(attempt 1\): /m);
      const { rows } = await pool.query<{ last_error: string }>(`SELECT last_error FROM "${table}"`);
      capture.record('last_error column', rows);
      expect(rows[0]?.last_error).toBeTruthy();
      capture.assertNoSecret(...secrets);
    });
  });
});
