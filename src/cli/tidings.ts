#!/usr/bin/env node
// The `tidings` command. `tidings --help` lists what it does; each command has its own --help.
// Exit codes: 0 done, 1 the command failed, 2 usage error (see MAIN_HELP).
import type { ArchivedStatus } from '../messaging/dead-letters/archived-dead-letter.js';
import { parseCommandLine, usageText, type OptionValues } from './command-line.js';
import { deadLetterArchiveCommand, type ArchiveCommand } from './dead-letter-archive-command.js';
import { deadLettersCommand } from './dead-letters-command.js';
import { parseDuration } from './durations.js';
import { outboxCommand } from './outbox-command.js';
import { packageVersion } from './version.js';

const STATUSES: readonly (ArchivedStatus | 'all')[] = ['pending', 'replayed', 'discarded', 'all'];
const DEFAULT_PROGRESS_EVERY_MS = 5000;

/** A bad option value: the message for the user. */
class UsageError extends Error {}

export async function main(
  argv: readonly string[],
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  const line = parseCommandLine(argv);
  if (line.kind === 'print') {
    (line.stream === 'out' ? out : err).write(line.text);
    return line.code;
  }
  if (line.kind === 'version') {
    const version = packageVersion();
    if (version === undefined) {
      err.write("tidings: cannot find tidings' package.json to read its version from\n");
      return 1;
    }
    out.write(`${version}\n`);
    return 0;
  }
  const { command, values, operands } = line;
  try {
    return await run(command, values, operands, out, err);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    err.write(usageText(error.message, command.split(' ')));
    return 2;
  }
}

function run(
  command: string,
  values: OptionValues,
  operands: string[],
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  const [group, name, sub] = command.split(' ') as [string, string, string | undefined];
  const limit = positiveInteger(values.limit, '--limit');
  if (group === 'outbox') {
    return outboxCommand(
      {
        command: name as 'migrate' | 'status' | 'relay',
        databaseUrl: values['database-url'],
        amqpUrl: values.url,
        table: values.table,
        schema: values.schema,
        print: values.print === true,
        batchSize: positiveInteger(values.batch, '--batch'),
        progressEveryMs: duration(values['progress-every'], '--progress-every') ?? DEFAULT_PROGRESS_EVERY_MS,
      },
      out,
      err,
    );
  }
  if (name === 'list' || name === 'replay' || name === 'purge') {
    const rate = values.rate === undefined ? undefined : Number(values.rate);
    if (rate !== undefined && !(rate > 0 && Number.isFinite(rate)))
      throw new UsageError(`--rate must be a positive number, got "${values.rate}"`);
    return deadLettersCommand(
      {
        command: name,
        amqpUrl: values.url,
        appId: values['app-id'],
        deadLetterQueue: values['dead-letter-queue'],
        queue: values.queue,
        reason: values.reason,
        limit,
        rate,
        dryRun: values['dry-run'] === true,
        json: values.json === true,
      },
      out,
      err,
    );
  }
  const status = values.status;
  if (status !== undefined && !(STATUSES as readonly string[]).includes(status))
    throw new UsageError(`--status must be one of ${STATUSES.join(', ')}`);
  return deadLetterArchiveCommand(
    {
      command: (name === 'archive' ? 'archive' : sub) as ArchiveCommand,
      ids: operands,
      databaseUrl: values['database-url'],
      amqpUrl: values.url,
      appId: values['app-id'],
      deadLetterQueue: values['dead-letter-queue'],
      table: values.table,
      schema: values.schema,
      queue: values.queue,
      reason: values.reason,
      limit,
      status: status as ArchivedStatus | 'all' | undefined,
      olderThanMs: duration(values['older-than'], '--older-than', 0),
      includePending: values['include-pending'] === true,
      dryRun: values['dry-run'] === true,
      json: values.json === true,
    },
    out,
    err,
  );
}

function positiveInteger(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!(/^[0-9]+$/.test(text) && Number.isSafeInteger(value) && value > 0))
    throw new UsageError(`${option} must be a positive integer, got "${text}"`);
  return value;
}

/** A duration option in milliseconds, at least `minMs` (1 ms unless said otherwise). */
function duration(text: string | undefined, option: string, minMs = 1): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined || ms < minMs)
    throw new UsageError(`${option} must be a duration such as 30d, 12h, 90m, 45s, 500ms, got "${text}"`);
  return ms;
}

// Run when executed directly (not when imported by tests).
if (process.argv[1] !== undefined && /tidings(\.ts|\.js)?$/.test(process.argv[1])) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`tidings: ${(error as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
