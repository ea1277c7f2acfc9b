#!/usr/bin/env node
// The `tidings` command. `tidings --help` lists what it does.
import { parseArgs } from 'node:util';
import { AmqpTransport } from '../bridge/amqp/amqp-transport.js';
import { redactSecrets } from '../bridge/amqp/amqp-url.js';
import { createTransport } from '../bridge/create-transport.js';
import { DeadLetters, type DeadLetter } from '../bridge/dead-letter/dead-letters.js';
import type { Transport } from '../bridge/transport.js';
import {
  deadLetterArchiveCommand,
  parseDuration,
  type ArchiveCommand,
} from './dead-letter-archive-command.js';
import { outboxCommand } from './outbox-command.js';

const HELP = `Usage: tidings dead-letters <list|replay|purge> [options]
       tidings dead-letters archive [options]
       tidings dead-letters archived <list|show|replay|discard|purge> [id...] [options]
       tidings outbox <migrate|status|relay> [options]

Works on the common dead-letter queue of one application (<app-id>.dead-letters by default).

Commands:
  list      print the dead letters (the queue is left as it was)
  replay    send them back to the queue they came from, attempts reset; each is removed from the
            dead-letter queue only after its copy is confirmed
  purge     remove them

  archive   move them into a PostgreSQL table (created if missing), to handle one by one; each is
            removed from the queue only after its row is committed
  archived list             the archived dead letters (pending ones unless --status says otherwise)
  archived show <id>        one of them in full: error, stack, headers, body
  archived replay [id...]   send pending ones back to their queue; marked replayed once confirmed
  archived discard <id...>  mark pending ones as handled without replaying them
  archived purge --older-than <duration>  delete handled rows archived before then

  outbox migrate   create the outbox table in PostgreSQL (--print shows the SQL instead)
  outbox status    pending rows, age of the oldest, in flight, failing, published
  outbox relay     publish committed outbox rows to RabbitMQ until stopped (Ctrl-C, SIGTERM)

Options:
  --database-url <url>  PostgreSQL for the outbox and the dead-letter archive (default: $DATABASE_URL)
  --table <name>, --schema <name>  the outbox table (default: public.tidings_outbox), or the
                     dead-letter archive table (default: public.tidings_dead_letters)
  --status <status>  archived list: pending (default), replayed, discarded or all
  --older-than <duration>  archived purge: 30d, 12h, 90m, …
  --include-pending  archived purge: delete pending rows too
  --batch <n>        rows a relay claims at a time
  --print            outbox migrate: print the SQL, change nothing
  --app-id <id>      the application (default: $TIDINGS_APP_ID, else "tidings")
  --dead-letter-queue <name>  the queue, when it is not <app-id>.dead-letters
  --url <url>        the broker (default: $AMQP_URL, else amqp://127.0.0.1)
  --queue <name>     only messages that came from this queue
  --reason <reason>  only this reason (repeats-exhausted, non-retryable, invalid-content, expired, rejected…)
  --limit <n>        at most n messages
  --rate <n>         replay at most n messages per second
  --dry-run          show what replay or purge would do, change nothing
  --json             list (and archived show) as JSON lines
  -h, --help         this text
`;

export async function main(argv: string[], out = process.stdout, err = process.stderr): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'app-id': { type: 'string' },
        'dead-letter-queue': { type: 'string' },
        url: { type: 'string' },
        queue: { type: 'string' },
        reason: { type: 'string' },
        limit: { type: 'string' },
        rate: { type: 'string' },
        'dry-run': { type: 'boolean' },
        'database-url': { type: 'string' },
        table: { type: 'string' },
        schema: { type: 'string' },
        batch: { type: 'string' },
        print: { type: 'boolean' },
        status: { type: 'string' },
        'older-than': { type: 'string' },
        'include-pending': { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    err.write(`tidings: ${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [group, command] = positionals;
  if (values.help === true || group === undefined) {
    out.write(HELP);
    return values.help === true ? 0 : 2;
  }
  if (group === 'outbox' && ['migrate', 'status', 'relay'].includes(command ?? '')) {
    const batch = values.batch === undefined ? undefined : Number(values.batch);
    if (batch !== undefined && !(Number.isSafeInteger(batch) && batch > 0))
      return usage(err, '--batch must be a positive integer');
    return outboxCommand(
      {
        command: command as 'migrate' | 'status' | 'relay',
        databaseUrl: values['database-url'],
        amqpUrl: values.url,
        table: values.table,
        schema: values.schema,
        print: values.print === true,
        batchSize: batch,
      },
      out,
      err,
    );
  }
  if (group === 'dead-letters' && (command === 'archive' || command === 'archived')) {
    return archiveCommand(command, positionals.slice(2), values, out, err);
  }
  if (group !== 'dead-letters' || !['list', 'replay', 'purge'].includes(command ?? '')) {
    err.write(`tidings: unknown command "${positionals.join(' ')}"\n\n${HELP}`);
    return 2;
  }
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  const rate = values.rate === undefined ? undefined : Number(values.rate);
  if (limit !== undefined && !(Number.isSafeInteger(limit) && limit > 0))
    return usage(err, '--limit must be a positive integer');
  if (rate !== undefined && !(rate > 0)) return usage(err, '--rate must be a positive number');

  const url = values.url ?? process.env['AMQP_URL'];
  const transport: Transport =
    process.env['MESSAGE_BROKER'] === 'memory'
      ? createTransport({ broker: 'memory' })
      : new AmqpTransport({ ...(url !== undefined ? { url: url.split(',') } : {}), maxConnectAttempts: 3 });
  const secrets =
    url === undefined ? [] : [...url.matchAll(/:\/\/[^:/@]*:([^@/]*)@/g)].map((match) => match[1]!);
  const deadLetters = new DeadLetters(transport, {
    ...(values['app-id'] !== undefined ? { appId: values['app-id'] } : {}),
    ...(values['dead-letter-queue'] !== undefined
      ? { deadLetter: { queue: values['dead-letter-queue'] } }
      : {}),
  });
  const filter = {
    ...(values.queue !== undefined ? { queue: values.queue } : {}),
    ...(values.reason !== undefined ? { reason: values.reason } : {}),
    ...(limit !== undefined ? { limit } : {}),
  };
  const dryRun = values['dry-run'] === true;
  try {
    if (command === 'list') {
      const found = await deadLetters.list(filter);
      for (const deadLetter of found)
        out.write((values.json ? JSON.stringify(toJson(deadLetter)) : describe(deadLetter)) + '\n');
      if (!values.json) out.write(`${found.length} dead letter(s) in ${deadLetters.names.queue}\n`);
    } else if (command === 'replay') {
      const summary = await deadLetters.replay({
        ...filter,
        dryRun,
        ...(rate !== undefined ? { ratePerSecond: rate } : {}),
        onProgress: ({ done, total, deadLetter, outcome }) =>
          err.write(
            `[${done}/${total}] ${outcome} ${deadLetter.messageId} → ${deadLetter.queue ?? '(unknown queue)'}\n`,
          ),
      });
      out.write(
        `${dryRun ? 'dry run: would replay' : 'replayed'} ${dryRun ? summary.scanned - summary.skipped : summary.replayed}, ` +
          `skipped ${summary.skipped}, failed ${summary.failed.length} (scanned ${summary.scanned})\n`,
      );
      for (const failure of summary.failed) out.write(`  failed ${failure.messageId}: ${failure.error}\n`);
      if (summary.failed.length > 0) return 1;
    } else {
      const { purged } = await deadLetters.purge({ ...filter, dryRun });
      out.write(
        `${dryRun ? 'dry run: would purge' : 'purged'} ${purged} dead letter(s) from ${deadLetters.names.queue}\n`,
      );
    }
    return 0;
  } catch (error) {
    err.write(`tidings: ${redactSecrets((error as Error).message, secrets)}\n`);
    return 1;
  } finally {
    await transport.close().catch(() => {});
  }
}

const ARCHIVED_COMMANDS = ['list', 'show', 'replay', 'discard', 'purge'];
const STATUSES = ['pending', 'replayed', 'discarded', 'all'] as const;

/** `dead-letters archive` and `dead-letters archived <command> [id...]`: checks the options, then runs it. */
function archiveCommand(
  command: 'archive' | 'archived',
  rest: string[],
  values: Record<string, string | boolean | undefined>,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> | number {
  const text = (name: string): string | undefined => {
    const value = values[name];
    return typeof value === 'string' ? value : undefined;
  };
  const [subcommand, ...ids] = command === 'archive' ? ['archive', ...rest] : rest;
  if (command === 'archived' && !ARCHIVED_COMMANDS.includes(subcommand ?? '')) {
    err.write(`tidings: unknown command "dead-letters archived ${rest.join(' ')}"\n\n${HELP}`);
    return 2;
  }
  const limit = text('limit') === undefined ? undefined : Number(text('limit'));
  if (limit !== undefined && !(Number.isSafeInteger(limit) && limit > 0))
    return usage(err, '--limit must be a positive integer');
  const status = text('status');
  if (status !== undefined && !(STATUSES as readonly string[]).includes(status))
    return usage(err, `--status must be one of ${STATUSES.join(', ')}`);
  const olderThan = text('older-than');
  const olderThanMs = olderThan === undefined ? undefined : parseDuration(olderThan);
  if (olderThan !== undefined && olderThanMs === undefined)
    return usage(err, '--older-than must be a duration such as 30d, 12h, 90m, 45s');
  return deadLetterArchiveCommand(
    {
      command: subcommand as ArchiveCommand,
      ids,
      databaseUrl: text('database-url'),
      amqpUrl: text('url'),
      appId: text('app-id'),
      deadLetterQueue: text('dead-letter-queue'),
      table: text('table'),
      schema: text('schema'),
      queue: text('queue'),
      reason: text('reason'),
      limit,
      status: status as (typeof STATUSES)[number] | undefined,
      olderThanMs,
      includePending: values['include-pending'] === true,
      dryRun: values['dry-run'] === true,
      json: values['json'] === true,
    },
    out,
    err,
  );
}

function usage(err: NodeJS.WritableStream, message: string): number {
  err.write(`tidings: ${message}\n`);
  return 2;
}

function describe(deadLetter: DeadLetter): string {
  const error = deadLetter.error ? ` ${deadLetter.error.name}: ${deadLetter.error.message}` : '';
  return (
    `${deadLetter.messageId}  ${deadLetter.reason}  from ${deadLetter.queue ?? '?'} (${deadLetter.routingKey})` +
    `${deadLetter.attempts !== undefined ? `  attempts ${deadLetter.attempts}` : ''}${error}`
  );
}

function toJson(deadLetter: DeadLetter): Record<string, unknown> {
  const { content, properties, ...rest } = deadLetter;
  return { ...rest, body: content.toString('utf8'), properties };
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
