// `tidings` without a server: which command a command line names, each command's own help, --version,
// and the usage errors (exit code 2, a short message and the help to read).
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/cli/command-line.js';
import { main } from '../../src/cli/tidings.js';

const ownVersion = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

/** Runs `tidings` in this process, without a server: only what is refused before connecting. */
async function tidings(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = { stdout: '', stderr: '' };
  const stream = (key: 'stdout' | 'stderr') =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        output[key] += chunk.toString();
        done();
      },
    });
  const code = await main(argv, stream('stdout'), stream('stderr'));
  return { code, ...output };
}

const COMMANDS = [
  'dead-letters list',
  'dead-letters replay',
  'dead-letters purge',
  'dead-letters archive',
  'dead-letters archived list',
  'dead-letters archived show',
  'dead-letters archived replay',
  'dead-letters archived discard',
  'dead-letters archived purge',
  'outbox migrate',
  'outbox status',
  'outbox relay',
];

describe('tidings --version', () => {
  it("prints the version of tidings' package.json, with -V too, before anything else", async () => {
    for (const argv of [['--version'], ['-V'], ['outbox', 'relay', '--version']]) {
      expect(await tidings(...argv)).toEqual({ code: 0, stdout: `${ownVersion}\n`, stderr: '' });
    }
  });
});

describe('tidings --help', () => {
  it('tidings --help, -h and "tidings help" print the overview on stdout with exit code 0', async () => {
    const help = await tidings('--help');
    expect(help.code).toBe(0);
    expect(help.stderr).toBe('');
    expect(help.stdout).toMatch(/^Usage: tidings <command> \[options\]/);
    for (const section of ['Commands:', 'Environment:', 'Exit codes', 'Example:']) {
      expect(help.stdout).toContain(section);
    }
    for (const command of COMMANDS.filter((name) => !name.includes('archived '))) {
      expect(help.stdout).toContain(`  ${command} `);
    }
    expect((await tidings('-h')).stdout).toBe(help.stdout);
    expect((await tidings('help')).stdout).toBe(help.stdout);
  });

  it('each command prints its own usage: synopsis, options with defaults, exit codes, an example', async () => {
    const texts = new Set<string>();
    for (const command of COMMANDS) {
      const words = command.split(' ');
      const help = await tidings(...words, '--help');
      expect(help.code, command).toBe(0);
      expect(help.stdout, command).toMatch(new RegExp(`^Usage: tidings ${command}[ \\n]`));
      expect(help.stdout, command).toContain('Options:');
      expect(help.stdout, command).toContain('Exit codes:');
      expect(help.stdout.slice(help.stdout.search(/\nExamples?:\n/)), command).toContain(
        `  tidings ${command}`,
      );
      expect(help.stdout, command).toContain('  -h, --help');
      // The same text whichever way it is asked for.
      expect((await tidings(...words, '-h')).stdout).toBe(help.stdout);
      expect((await tidings('help', ...words)).stdout).toBe(help.stdout);
      texts.add(help.stdout);
    }
    expect(texts.size).toBe(COMMANDS.length);
  });

  it('says what the defaults, units and variables are', async () => {
    const relay = (await tidings('outbox', 'relay', '--help')).stdout;
    expect(relay).toContain('--progress-every <duration> how often to print progress');
    expect(relay).toContain('(default: 5s)');
    expect(relay).toContain('(default: 500)');
    expect(relay).toMatch(/28P01.*\n?.*28000.*\n?.*3D000/);
    expect(relay).toContain('403 ACCESS_REFUSED');
    expect(relay).toContain('$DATABASE_URL');
    expect(relay).toContain('$AMQP_URL');
    const list = (await tidings('dead-letters', 'list', '--help')).stdout;
    expect(list).toContain('$TIDINGS_APP_ID');
    expect(list).toContain('no dead-letter queue');
    expect((await tidings('dead-letters', 'archived', 'purge', '--help')).stdout).toContain('30d, 12h');
  });

  it('a group prints its commands: on stdout with --help, on stderr with exit code 2 without', async () => {
    for (const group of [['dead-letters'], ['dead-letters', 'archived'], ['outbox']]) {
      const asked = await tidings(...group, '--help');
      expect(asked.code).toBe(0);
      expect(asked.stdout).toMatch(new RegExp(`^Usage: tidings ${group.join(' ')} <`));
      const bare = await tidings(...group);
      expect(bare).toEqual({ code: 2, stdout: '', stderr: asked.stdout });
    }
    const none = await tidings();
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^Usage: tidings <command>/);
  });
});

describe('usage errors: exit code 2, one line saying what is wrong, and the help to read', () => {
  const cases: [string[], string, string][] = [
    [['explode'], 'unknown command "explode" (commands: dead-letters, outbox)', 'tidings'],
    [
      ['dead-letters', 'explode'],
      'unknown command "dead-letters explode" (dead-letters: list, replay, purge, archive, archived)',
      'tidings dead-letters',
    ],
    [['help', 'nothing'], 'unknown command "nothing" (commands: dead-letters, outbox)', 'tidings'],
    [['dead-letters', 'list', '--frobnicate'], 'unknown option --frobnicate', 'tidings dead-letters list'],
    [['outbox', 'relay', '-x'], 'unknown option -x', 'tidings outbox relay'],
    [['dead-letters', 'list', '--limit'], 'option --limit needs a value', 'tidings dead-letters list'],
    [
      ['dead-letters', 'list', '--limit', '--json'],
      'option --limit needs a value',
      'tidings dead-letters list',
    ],
    [['dead-letters', 'list', '--json=yes'], 'option --json takes no value', 'tidings dead-letters list'],
    [
      ['dead-letters', 'list', '--batch', '5'],
      'option --batch does not apply to "dead-letters list"',
      'tidings dead-letters list',
    ],
    [
      ['dead-letters', 'archive', '--dry-run'],
      'option --dry-run does not apply to "dead-letters archive"',
      'tidings dead-letters archive',
    ],
    [['outbox', 'status', 'now'], 'unexpected argument "now"', 'tidings outbox status'],
    [
      ['dead-letters', 'list', '--limit', '0'],
      '--limit must be a positive integer, got "0"',
      'tidings dead-letters list',
    ],
    [
      ['dead-letters', 'replay', '--rate', 'fast'],
      '--rate must be a positive number',
      'tidings dead-letters replay',
    ],
    [
      ['outbox', 'relay', '--batch', '2.5'],
      '--batch must be a positive integer, got "2.5"',
      'tidings outbox relay',
    ],
    [
      ['outbox', 'relay', '--progress-every', '5'],
      '--progress-every must be a duration such as 30d, 12h, 90m, 45s, 500ms, got "5"',
      'tidings outbox relay',
    ],
    [
      ['outbox', 'relay', '--progress-every', '0s'],
      '--progress-every must be a duration',
      'tidings outbox relay',
    ],
    [
      ['dead-letters', 'archived', 'list', '--status', 'done'],
      '--status must be one of pending, replayed, discarded, all',
      'tidings dead-letters archived list',
    ],
  ];
  it.each(cases)('%j', async (argv, message, help) => {
    const outcome = await tidings(...argv);
    expect(outcome.code).toBe(2);
    expect(outcome.stdout).toBe('');
    expect(outcome.stderr).toContain(`tidings: ${message}`);
    expect(outcome.stderr).toMatch(new RegExp(`\\nRun "${help} --help" for usage\\.\\n$`));
    expect(outcome.stderr.split('\n')).toHaveLength(3);
  });
});

describe('parseCommandLine', () => {
  it('names the command, its options and its operands, options anywhere', () => {
    expect(
      parseCommandLine(['--app-id', 'billing', 'dead-letters', 'archived', 'replay', '7', '9', '--dry-run']),
    ).toEqual({
      kind: 'run',
      command: 'dead-letters archived replay',
      values: { 'app-id': 'billing', 'dry-run': true },
      operands: ['7', '9'],
    });
    expect(parseCommandLine(['outbox', 'relay', '--progress-every=1s'])).toMatchObject({
      kind: 'run',
      command: 'outbox relay',
      values: { 'progress-every': '1s' },
    });
  });

  it('does not take "constructor" or "__proto__" for commands', () => {
    for (const word of ['constructor', '__proto__', 'toString']) {
      expect(parseCommandLine([word])).toMatchObject({ kind: 'print', code: 2 });
      expect(parseCommandLine(['outbox', word])).toMatchObject({ kind: 'print', code: 2 });
    }
  });
});
