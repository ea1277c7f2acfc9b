// `tidings dead-letters archive` and `tidings dead-letters archived …`, run from the built package as a
// user runs them, against RabbitMQ and PostgreSQL.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cleanups, waitFor } from '../faults/fault-helpers.js';
import { AMQP_URL, DATABASE_URL, withPassword } from '../servers.js';
import { scene, type Scene } from './archive-helpers.js';

const CLI = 'dist/esm/cli/tidings.js';
const BINARY = Buffer.from([0x00, 0xff, 0x80, 0x41]);

async function tidings(
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], {
      env: { ...process.env, AMQP_URL, DATABASE_URL, ...env },
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('tidings dead-letters archive / archived', () => {
  const cleanups = new Cleanups();
  let s: Scene;
  let ids: string[];
  const cli = (...args: string[]) => tidings({}, ...args, '--app-id', s.appId, '--table', s.table);
  /** The archive ids of `archived list`, in order. */
  const listed = (stdout: string) => [...stdout.matchAll(/^#([0-9]+) /gm)].map((match) => match[1]!);

  beforeAll(async () => {
    expect(existsSync(CLI), `${CLI} is missing: run npm run build first`).toBe(true);
    s = await scene(cleanups, 'cli');
    ids = await s.deadLetter({ n: 1 }, { n: 2 });
    await s.deadLetterRaw(BINARY, { messageId: 'cli-binary', contentType: 'application/octet-stream' });
  });
  afterAll(() => cleanups.run());

  it('archive moves the dead letters into the table, with progress and a summary', async () => {
    const archived = await cli('dead-letters', 'archive');
    expect(archived.code).toBe(0);
    expect(archived.stderr).toMatch(
      new RegExp(
        `^\\[1/3\\] archived ${ids[0]} #[0-9]+\\n\\[2/3\\] archived ${ids[1]} #[0-9]+\\n\\[3/3\\] archived cli-binary`,
      ),
    );
    expect(archived.stdout).toBe(
      `archived 3 from ${s.deadLetterQueue} into public.${s.table}, duplicates 0, skipped 0, failed 0 (scanned 3)\n`,
    );
    expect(await s.deadLetterCount()).toBe(0);
    expect((await cli('dead-letters', 'archive')).stdout).toContain('archived 0 from');
  });

  it('archived list and show tell what happened, as text and as JSON', async () => {
    const text = await cli('dead-letters', 'archived', 'list');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      new RegExp(
        `^#[0-9]+ {2}pending {2}repeats-exhausted {2}from ${s.queue} \\(${s.routingKey}\\) {2}attempts 3 {2}Error: boom \\{"n":1\\} {2}${ids[0]}$`,
        'm',
      ),
    );
    expect(text.stdout).toContain(`3 shown; pending 3, replayed 0, discarded 0 in public.${s.table}\n`);

    const json = await cli('dead-letters', 'archived', 'list', '--json', '--reason', 'invalid-content');
    const rows = json.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ messageId: 'cli-binary', reason: 'invalid-content', status: 'pending' });
    expect(Buffer.from(rows[0]!['bodyBase64'] as string, 'base64').equals(BINARY)).toBe(true);

    const [first] = listed(text.stdout);
    const shown = await cli('dead-letters', 'archived', 'show', first!);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^reason {9}repeats-exhausted$/m);
    expect(shown.stdout).toMatch(/^error {10}Error: boom \{"n":1\}\n {15}Error: boom/m);
    expect(shown.stdout).toMatch(/^body {11}7 bytes:\n\{"n":1\}$/m);
    const missing = await cli('dead-letters', 'archived', 'show', '999999999');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no archived dead letter #999999999');
  });

  it('archived replay sends one back; the fixed handler consumes it; discard and purge handle the others', async () => {
    const [first, second, binary] = listed((await cli('dead-letters', 'archived', 'list')).stdout);
    const dry = await cli('dead-letters', 'archived', 'replay', first!, '--dry-run');
    expect(dry.stdout).toBe('dry run: would replay 1, failed 0, not pending 0\n');

    s.fix();
    const replay = await cli('dead-letters', 'archived', 'replay', first!);
    expect(replay.code).toBe(0);
    expect(replay.stderr).toBe(`[1/1] replayed #${first} ${ids[0]} → ${s.queue}\n`);
    expect(replay.stdout).toBe('replayed 1, failed 0, not pending 0\n');
    await waitFor(
      () => s.settled.find((outcome) => outcome.outcome === 'acked' && outcome.messageId === ids[0]),
      20_000,
      'the replayed message to be handled',
    );
    expect(s.handled.filter((run) => run.ok)).toEqual([{ messageId: ids[0], attempt: 1, ok: true }]);

    const again = await cli('dead-letters', 'archived', 'replay', first!);
    expect(again.stdout).toBe(`replayed 0, failed 0, not pending 1\n  not pending: #${first}\n`);

    const discard = await cli('dead-letters', 'archived', 'discard', second!, first!);
    expect(discard.stdout).toBe(`discarded 1 (#${second})\n  not pending: #${first}\n`);
    const all = await cli('dead-letters', 'archived', 'list', '--status', 'all');
    expect(all.stdout).toMatch(new RegExp(`^#${first} {2}replayed `, 'm'));
    expect(all.stdout).toMatch(new RegExp(`^#${second} {2}discarded `, 'm'));
    expect(all.stdout).toMatch(new RegExp(`^#${binary} {2}pending `, 'm'));

    const purge = await cli('dead-letters', 'archived', 'purge', '--older-than', '0s');
    expect(purge.stdout).toMatch(/^purged 2 handled archived dead letter\(s\) archived before /);
    expect((await cli('dead-letters', 'archived', 'list', '--status', 'all')).stdout).toContain(
      '1 shown; pending 1, replayed 0, discarded 0',
    );
  });

  it('rejects bad usage with exit code 2, says what is missing, and never prints a password', async () => {
    for (const args of [
      ['dead-letters', 'archived', 'explode'],
      ['dead-letters', 'archived', 'show'],
      ['dead-letters', 'archived', 'show', 'abc'],
      ['dead-letters', 'archived', 'discard'],
      ['dead-letters', 'archived', 'purge'],
      ['dead-letters', 'archived', 'purge', '--older-than', '3 weeks'],
      ['dead-letters', 'archived', 'list', '--status', 'done'],
      ['dead-letters', 'archive', '--dry-run'],
    ]) {
      expect((await cli(...args)).code, args.join(' ')).toBe(2);
    }
    const noDatabase = await tidings({ DATABASE_URL: '' }, 'dead-letters', 'archived', 'list');
    expect(noDatabase).toMatchObject({ code: 2 });
    expect(noDatabase.stderr).toContain('--database-url');

    const noTable = await tidings({}, 'dead-letters', 'archived', 'list', '--table', `${s.table}_none`);
    expect(noTable.code).toBe(1);
    expect(noTable.stderr).toContain(`there is no dead-letter archive table public.${s.table}_none`);

    const refused = await tidings(
      {},
      'dead-letters',
      'archived',
      'list',
      '--database-url',
      'postgresql://postgres:Sup3rSecretPw@127.0.0.1:1/test',
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('ECONNREFUSED');
    expect(refused.stdout + refused.stderr).not.toContain('Sup3rSecretPw');
    const amqpRefused = await cli(
      'dead-letters',
      'archive',
      '--url',
      withPassword(AMQP_URL, 'An0therSecret'),
    );
    expect(amqpRefused.code).toBe(1);
    expect(amqpRefused.stderr).toContain('ACCESS_REFUSED');
    expect(amqpRefused.stdout + amqpRefused.stderr).not.toContain('An0therSecret');
  });
});
