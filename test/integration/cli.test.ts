// The `tidings` command as a user runs it: the built dist/esm/cli/tidings.js against RabbitMQ.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NonRetryableError, Publisher, Consumer, type SettledOutcome } from '../../src/index.js';
import { AmqpTransport } from '../../src/rabbitmq.js';
import { waitFor } from '../bridge/bridge-scenarios.js';
import { AMQP_URL, withPassword } from './servers.js';

const CLI = 'dist/esm/cli/tidings.js';
const run = promisify(execFile);

async function tidings(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
      env: { ...process.env, AMQP_URL, MESSAGE_BROKER: 'rabbitmq' },
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('tidings dead-letters', () => {
  const id = `cli${randomUUID().slice(0, 8)}`;
  const appId = `${id}-app`;
  const queue = `${id}.queue`;
  const transport = new AmqpTransport({ url: AMQP_URL });
  const subscriber = new Consumer(transport, {
    appId,
    queue,
    bindingKeys: [`${id}.made`],
    repeatDelaysMs: [],
  });
  const settled: SettledOutcome[] = [];
  let fail = true;

  beforeAll(async () => {
    expect(existsSync(CLI), `${CLI} is missing: run npm run build first`).toBe(true);
    subscriber.on('settled', (outcome) => settled.push(outcome));
    await subscriber.consume(({ payload }) => {
      if (fail) throw new NonRetryableError(`cannot handle ${(payload as { n: number }).n}`);
    });
    const publisher = new Publisher(transport);
    for (const n of [1, 2, 3]) await publisher.send({ n }, `${id}.made`);
    await waitFor(() => settled.length === 3, 10_000, 'three dead letters');
  });

  afterAll(async () => {
    await subscriber.close();
    for (const name of [queue, `${appId}.dead-letters`]) await transport.deleteQueue(name);
    for (const name of [id, `${appId}.dead-letter`]) await transport.deleteExchange(name);
    await transport.close();
  });

  it('lists, as text and as JSON lines', async () => {
    const text = await tidings('dead-letters', 'list', '--app-id', appId);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /non-retryable {2}from .*\.queue \(.*\.made\) {2}attempts 1 NonRetryableError: cannot handle 1/,
    );
    expect(text.stdout).toContain(`3 dead letter(s) in ${appId}.dead-letters`);
    const json = await tidings('dead-letters', 'list', '--app-id', appId, '--json', '--limit', '2');
    const lines = json.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { reason: string; body: string });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ reason: 'non-retryable', body: '{"n":1}' });
  });

  it('replays with progress and a summary; a dry run changes nothing', async () => {
    const dry = await tidings('dead-letters', 'replay', '--app-id', appId, '--dry-run');
    expect(dry.stdout).toContain('dry run: would replay 3, skipped 0, failed 0 (scanned 3)');
    fail = false;
    const replay = await tidings('dead-letters', 'replay', '--app-id', appId, '--limit', '2', '--rate', '50');
    expect(replay.code).toBe(0);
    expect(replay.stderr).toMatch(/\[1\/2\] replayed .* → .*\.queue\n\[2\/2\] replayed/);
    expect(replay.stdout).toContain('replayed 2, skipped 0, failed 0 (scanned 2)');
    await waitFor(
      () => settled.filter((outcome) => outcome.outcome === 'acked').length === 2,
      10_000,
      'two acks',
    );
  });

  it('purges', async () => {
    expect((await tidings('dead-letters', 'purge', '--app-id', appId, '--dry-run')).stdout).toContain(
      'dry run: would purge 1 dead letter(s)',
    );
    expect((await tidings('dead-letters', 'purge', '--app-id', appId)).stdout).toContain(
      'purged 1 dead letter(s)',
    );
    expect((await tidings('dead-letters', 'list', '--app-id', appId)).stdout).toContain('0 dead letter(s)');
  });

  it('rejects bad usage with exit code 2 and never prints a password', async () => {
    expect((await tidings('dead-letters', 'explode')).code).toBe(2);
    expect((await tidings('dead-letters', 'list', '--limit', '0')).stderr).toContain(
      '--limit must be a positive integer',
    );
    expect((await tidings('--help')).stdout).toContain('Usage: tidings <command>');
    expect((await tidings('dead-letters', 'list', '--help')).stdout).toMatch(
      /^Usage: tidings dead-letters list /,
    );
    expect((await tidings('--version')).stdout).toMatch(/^\d+\.\d+\.\d+\S*\n$/);
    const refused = await tidings('dead-letters', 'list', '--url', withPassword(AMQP_URL, 'Sup3rSecretPw'));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('ACCESS_REFUSED');
    expect(refused.stderr + refused.stdout).not.toContain('Sup3rSecretPw');
  });
});
