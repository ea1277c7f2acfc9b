// `tidings outbox relay` as a user runs it (the built CLI, real PostgreSQL and RabbitMQ): a progress line
// every --progress-every (5 s by default), and a refused login stops it at once with exit code 1 instead
// of retrying forever, without printing a password.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AmqpTransport } from '../../src/adapters/rabbitmq/amqp-transport.js';
import { PgOutbox } from '../../src/adapters/postgres/pg-outbox.js';
import { waitFor } from './faults/fault-helpers.js';
import { createPool, dropOutbox, message, PG_URL, uniqueName } from './outbox/pg-helpers.js';
import { AMQP_URL } from './servers.js';

const CLI = 'dist/esm/cli/tidings.js';
const PASSWORD = 'Wr0ng-Passw0rd-9f3';

interface Relay {
  stdout: string;
  stderr: string;
  /** When each stdout line arrived (ms since the start). */
  lineTimes: number[];
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

/** Starts `tidings outbox relay`; the environment has the test servers unless `args` say otherwise. */
function relay(...args: string[]): Relay {
  const started = Date.now();
  const child = spawn(process.execPath, [CLI, 'outbox', 'relay', ...args], {
    env: { ...process.env, DATABASE_URL: PG_URL, AMQP_URL },
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const output: Relay = {
    stdout: '',
    stderr: '',
    lineTimes: [],
    exited,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
  child.stdout.on('data', (chunk: Buffer) => {
    output.stdout += chunk.toString();
    for (const _ of chunk.toString().matchAll(/\n/g)) output.lineTimes.push(Date.now() - started);
  });
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  return output;
}

const PROGRESS =
  /^published (\d+) \(\+(\d+) in [0-9.]+ s, [0-9.]+\/s\), failed (\d+)(, pending (\d+), oldest [0-9.]+ s)?/;
const progressLines = (stdout: string) => stdout.split('\n').filter((line) => PROGRESS.test(line));

describe('tidings outbox relay', () => {
  const pool = createPool();
  const table = uniqueName();
  const outbox = new PgOutbox({ pool, table });
  const exchange = `cli-relay-${randomUUID().slice(0, 8)}`;
  const transport = new AmqpTransport({ url: AMQP_URL });

  async function add(count: number): Promise<void> {
    const client = await pool.connect();
    try {
      await outbox.add(
        Array.from({ length: count }, (_, n) =>
          message({ exchange, routingKey: `${exchange}.made`, payload: { n } }),
        ),
        client,
      );
    } finally {
      client.release();
    }
  }

  beforeAll(async () => {
    expect(existsSync(CLI), `${CLI} is missing: run npm run build first`).toBe(true);
    await outbox.ensureSchema();
    await transport.declare({
      exchanges: [{ name: exchange, type: 'topic' }],
      queues: [{ name: `${exchange}.q` }],
      bindings: [{ queue: `${exchange}.q`, exchange, pattern: '#' }],
    });
  });
  afterAll(async () => {
    await transport.deleteQueue(`${exchange}.q`);
    await transport.deleteExchange(exchange);
    await transport.close();
    await dropOutbox(pool, table);
    await pool.end();
  });

  it('prints progress every --progress-every: published, rate, failed, pending, oldest', async () => {
    await add(20);
    const running = relay('--table', table, '--progress-every', '500ms');
    try {
      await waitFor(() => progressLines(running.stdout).length >= 4, 20_000, 'four progress lines');
      const lines = progressLines(running.stdout);
      const last = PROGRESS.exec(lines.at(-1)!)!;
      expect(Number(last[1])).toBe(20);
      expect(last[3]).toBe('0');
      await waitFor(
        () => /, pending 0, oldest 0\.0 s/.test(running.stdout),
        20_000,
        'a line with nothing pending',
      );
      expect(running.stdout).toMatch(
        /^relaying as .*: public\.\S+ in postgresql:\/\/.* to amqp:\/\/.*; Ctrl-C stops\n/,
      );
      expect(running.stderr).toBe('');
    } finally {
      expect(await running.stop()).toBe(0);
    }
    expect(running.stdout).toMatch(/\nstopped; published 20\n$/);
    expect((await transport.queueStats(`${exchange}.q`))?.messageCount).toBe(20);
  });

  it('by default every 5 s', async () => {
    const running = relay('--table', table);
    try {
      await waitFor(() => progressLines(running.stdout).length >= 2, 20_000, 'two progress lines');
      const [first, second] = running.lineTimes.slice(1); // line 0 is "relaying as …"
      // The first after about 5 s, the next about 5 s later (not 60 s): loose bounds for a busy machine.
      expect(first).toBeGreaterThan(4000);
      expect(first).toBeLessThan(9000);
      expect(second! - first!).toBeGreaterThan(4000);
      expect(second! - first!).toBeLessThan(8000);
    } finally {
      expect(await running.stop()).toBe(0);
    }
  });

  describe('stops at once, exit code 1, when a server refuses the login', () => {
    const cases: [string, string[], RegExp][] = [
      [
        'a PostgreSQL role that does not exist (28000)',
        ['--database-url', `postgresql://nosuchrole_xyz:${PASSWORD}@127.0.0.1:5432/test`],
        /^tidings: PostgreSQL at postgresql:\/\/nosuchrole_xyz:\*\*\*@127\.0\.0\.1:5432\/test refused the login: .*nosuchrole_xyz.* \(SQLSTATE 28000\); check --database-url or DATABASE_URL$/m,
      ],
      [
        'a PostgreSQL database that does not exist (3D000)',
        ['--database-url', withPath(PG_URL, `/nosuchdb_${randomUUID().slice(0, 8)}`)],
        /refused the login: database "nosuchdb_\w+" does not exist \(SQLSTATE 3D000\)/,
      ],
      [
        'a wrong RabbitMQ password (403 ACCESS_REFUSED)',
        ['--table', table, '--url', withPassword(AMQP_URL, PASSWORD)],
        /^tidings: Cannot connect to amqp:.*ACCESS_REFUSED.*; check the user name and password in --url or AMQP_URL$/m,
      ],
    ];
    it.each(cases)('%s', async (_, args, reason) => {
      await add(1);
      const started = Date.now();
      const running = relay(...args);
      const code = await Promise.race([running.exited, sleep(30_000).then(() => running.stop())]);
      expect(code, running.stderr).toBe(1);
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(running.stderr).toMatch(reason);
      expect(running.stderr).toMatch(/\ntidings: stopped without retrying; published 0\n$/);
      expect(running.stderr).not.toContain('(retrying)');
      expect(running.stdout + running.stderr).not.toContain(PASSWORD);
      // Stopped before claiming: no row was marked failed for a login the broker refused.
      const { rows } = await pool.query<{ n: string }>(
        `SELECT count(*) AS n FROM "${table}" WHERE attempts > 0`,
      );
      expect(rows[0]?.n).toBe('0');
    });
  });
});

function withPassword(url: string, password: string): string {
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.toString();
}

function withPath(url: string, path: string): string {
  const parsed = new URL(url);
  parsed.pathname = path;
  return parsed.toString();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
