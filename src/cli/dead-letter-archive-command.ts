import { AmqpTransport } from '../adapters/rabbitmq/amqp-transport.js';
import { toArchiveJson } from '../messaging/dead-letters/archive-json.js';
import type { ArchivedDeadLetter, ArchivedStatus } from '../messaging/dead-letters/archived-dead-letter.js';
import { PgDeadLetterArchive } from '../adapters/postgres/pg-dead-letter-archive.js';
import { passwordsOf, redact, redactUrl } from '../internal/redact.js';
import { brokerLabel, brokerUrls } from './broker-urls.js';
import { missingDeadLetterQueue } from './dead-letters-command.js';
import { openCliPool } from './pg-pool.js';

export type ArchiveCommand = 'archive' | 'list' | 'show' | 'replay' | 'discard' | 'purge';

export interface ArchiveCommandOptions {
  /** `archive` is `tidings dead-letters archive`; the others are `tidings dead-letters archived <command>`. */
  command: ArchiveCommand;
  /** Archive ids given as positionals (`show`, `replay`, `discard`). */
  ids: string[];
  databaseUrl: string | undefined;
  amqpUrl: string | undefined;
  appId: string | undefined;
  deadLetterQueue: string | undefined;
  table: string | undefined;
  schema: string | undefined;
  queue: string | undefined;
  reason: string | undefined;
  limit: number | undefined;
  status: ArchivedStatus | 'all' | undefined;
  /** `purge`: rows archived longer ago than this many milliseconds. */
  olderThanMs: number | undefined;
  includePending: boolean;
  dryRun: boolean;
  json: boolean;
}

/** SQLSTATE 42P01: the table does not exist. */
const UNDEFINED_TABLE = '42P01';

/**
 * `tidings dead-letters archive` and `tidings dead-letters archived list|show|replay|discard|purge`.
 * pg is loaded only here (an optional peer dependency): the rest of the CLI works without it.
 */
export async function deadLetterArchiveCommand(
  options: ArchiveCommandOptions,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  const usage = usageError(options);
  if (usage !== undefined) {
    err.write(`tidings: ${usage}\n`);
    return 2;
  }
  const databaseUrl = options.databaseUrl || process.env['DATABASE_URL'] || undefined;
  if (databaseUrl === undefined) {
    err.write('tidings: the dead-letter archive needs PostgreSQL: pass --database-url or set DATABASE_URL\n');
    return 2;
  }
  const amqpUrls = brokerUrls(options.amqpUrl);
  const secrets = passwordsOf([databaseUrl, ...(amqpUrls ?? [])]);
  const pool = await openCliPool(databaseUrl, 'the dead-letter archive needs', err, { max: 2 });
  if (typeof pool === 'number') return pool;
  // Connects only when used (archive, replay): the other commands need no broker.
  const transport = new AmqpTransport({
    ...(amqpUrls !== undefined ? { url: amqpUrls } : {}),
    maxConnectAttempts: 3,
  });
  const archive = new PgDeadLetterArchive({
    pool,
    transport,
    ...(options.appId !== undefined ? { appId: options.appId } : {}),
    ...(options.deadLetterQueue !== undefined ? { deadLetter: { queue: options.deadLetterQueue } } : {}),
    ...(options.table ? { table: options.table } : {}),
    ...(options.schema ? { schema: options.schema } : {}),
  });
  const table = `${archive.names.schema}.${archive.names.table}`;
  try {
    if (options.command === 'archive') {
      const missing = await missingDeadLetterQueue(transport, archive.deadLetterNames.queue, {
        broker: brokerLabel(amqpUrls),
        deadLetterQueue: options.deadLetterQueue,
        appId: options.appId,
      });
      if (missing !== undefined) {
        err.write(`tidings: ${missing}\n`); // made of names and masked URLs only
        return 1;
      }
    }
    return await run(archive, table, options, out, err);
  } catch (error) {
    const message =
      (error as { code?: unknown }).code === UNDEFINED_TABLE
        ? `there is no dead-letter archive table ${table} in ${redactUrl(databaseUrl)}: ` +
          `"tidings dead-letters archive" creates it`
        : (error as Error).message;
    err.write(`tidings: ${redact(message, secrets)}\n`);
    return 1;
  } finally {
    await transport.close().catch(() => {});
    await pool.end().catch(() => {});
  }
}

function usageError(options: ArchiveCommandOptions): string | undefined {
  const { command, ids } = options;
  const bad = ids.find((id) => !/^[1-9][0-9]{0,18}$/.test(id));
  if (bad !== undefined) return `"${bad}" is not an archive id (the # number "archived list" shows)`;
  if ((command === 'archive' || command === 'list' || command === 'purge') && ids.length > 0)
    return `${command} takes no ids`;
  if (command === 'show' && ids.length !== 1) return 'archived show takes one id';
  if (
    command === 'discard' &&
    ids.length === 0 &&
    options.queue === undefined &&
    options.reason === undefined &&
    options.limit === undefined
  ) {
    return 'archived discard needs ids, or --queue, --reason or --limit';
  }
  if (options.dryRun && command !== 'replay') return '--dry-run applies to "archived replay" only';
  if (command === 'purge' && options.olderThanMs === undefined)
    return 'archived purge needs --older-than <duration> (30d, 12h, …)';
  return undefined;
}

async function run(
  archive: PgDeadLetterArchive,
  table: string,
  options: ArchiveCommandOptions,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  const filter = {
    ...(options.ids.length > 0 ? { ids: options.ids } : {}),
    ...(options.queue !== undefined ? { queue: options.queue } : {}),
    ...(options.reason !== undefined ? { reason: options.reason } : {}),
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
  };
  switch (options.command) {
    case 'archive': {
      await archive.ensureSchema();
      const { ids: _none, ...queueFilter } = filter;
      const summary = await archive.archive({
        ...queueFilter,
        onProgress: ({ done, total, deadLetter, outcome, id }) =>
          err.write(
            `[${done}/${total}] ${outcome} ${deadLetter.messageId}${id === undefined ? '' : ` #${id}`}\n`,
          ),
      });
      out.write(
        `archived ${summary.archived} from ${archive.deadLetterNames.queue} into ${table}, ` +
          `duplicates ${summary.duplicates}, skipped ${summary.skipped}, failed ${summary.failed.length} ` +
          `(scanned ${summary.scanned})\n`,
      );
      for (const failure of summary.failed) out.write(`  failed ${failure.messageId}: ${failure.error}\n`);
      return summary.failed.length > 0 ? 1 : 0;
    }
    case 'list': {
      const rows = await archive.list({ ...filter, ...(options.status ? { status: options.status } : {}) });
      for (const row of rows) out.write((options.json ? JSON.stringify(toJson(row)) : describe(row)) + '\n');
      if (!options.json) {
        const counts = await archive.counts();
        out.write(
          `${rows.length} shown; pending ${counts.pending}, replayed ${counts.replayed}, ` +
            `discarded ${counts.discarded} in ${table}\n`,
        );
      }
      return 0;
    }
    case 'show': {
      const row = await archive.get(options.ids[0]!);
      if (row === undefined) {
        err.write(`tidings: no archived dead letter #${options.ids[0]} of ${archive.appId} in ${table}\n`);
        return 1;
      }
      out.write(options.json ? `${JSON.stringify(toJson(row))}\n` : details(row));
      return 0;
    }
    case 'replay': {
      const summary = await archive.replay({
        ...filter,
        dryRun: options.dryRun,
        onProgress: ({ done, total, row, outcome }) =>
          err.write(
            `[${done}/${total}] ${outcome} #${row.id} ${row.messageId} → ${row.queue ?? '(unknown queue)'}\n`,
          ),
      });
      out.write(
        `${summary.dryRun ? `dry run: would replay ${summary.selected}` : `replayed ${summary.replayed}`}, ` +
          `failed ${summary.failed.length}, not pending ${summary.notPending.length}\n`,
      );
      for (const failure of summary.failed)
        out.write(`  failed #${failure.id} ${failure.messageId}: ${failure.error}\n`);
      if (summary.notPending.length > 0)
        out.write(`  not pending: ${summary.notPending.map((id) => `#${id}`).join(', ')}\n`);
      return summary.failed.length > 0 ? 1 : 0;
    }
    case 'discard': {
      const discarded = await archive.discard(filter);
      const notPending = options.ids.filter((id) => !discarded.includes(id));
      out.write(`discarded ${discarded.length}${list(discarded)}\n`);
      if (notPending.length > 0) out.write(`  not pending: ${notPending.map((id) => `#${id}`).join(', ')}\n`);
      return 0;
    }
    case 'purge': {
      const olderThan = new Date(Date.now() - options.olderThanMs!);
      const purged = await archive.purge({ olderThan, includePending: options.includePending });
      out.write(
        `purged ${purged} ${options.includePending ? '' : 'handled '}archived dead letter(s) ` +
          `archived before ${olderThan.toISOString()} from ${table}\n`,
      );
      return 0;
    }
  }
}

function list(ids: readonly string[]): string {
  return ids.length === 0 ? '' : ` (${ids.map((id) => `#${id}`).join(', ')})`;
}

function describe(row: ArchivedDeadLetter): string {
  const error = row.error ? `  ${row.error.name}: ${row.error.message}` : '';
  return (
    `#${row.id}  ${row.status}  ${row.reason}  from ${row.queue ?? '?'} (${row.routingKey})` +
    `${row.attempts !== undefined ? `  attempts ${row.attempts}` : ''}${error}  ${row.messageId}`
  );
}

function details(row: ArchivedDeadLetter): string {
  const time = (value: Date | undefined): string => value?.toISOString() ?? '-';
  const body = utf8(row.content);
  const lines = [
    `#${row.id}  ${row.status}`,
    `message id     ${row.messageId}`,
    `reason         ${row.reason}`,
    `from queue     ${row.queue ?? '?'}`,
    `exchange       ${row.exchange === '' ? '(default)' : row.exchange}`,
    `routing key    ${row.routingKey}`,
    `attempts       ${row.attempts ?? '-'}`,
    `error          ${row.error ? `${row.error.name}: ${row.error.message}` : '-'}`,
    ...(row.error?.stack ? row.error.stack.split('\n').map((line) => `               ${line}`) : []),
    `consumer app   ${row.consumerApp ?? '-'}`,
    `first failure  ${time(row.firstFailureAt)}`,
    `dead-lettered  ${time(row.deadLetteredAt)}`,
    `archived       ${time(row.archivedAt)}`,
    `replayed       ${time(row.replayedAt)}`,
    `discarded      ${time(row.discardedAt)}`,
    `content type   ${row.contentType ?? '-'}`,
    'headers',
    ...Object.entries(row.properties.headers).map(
      ([name, value]) => `  ${name}: ${JSON.stringify(toArchiveJson(value))}`,
    ),
    `body           ${row.content.length} bytes${body === undefined ? ', base64:' : ':'}`,
    body ?? row.content.toString('base64'),
  ];
  return `${lines.join('\n')}\n`;
}

/** One JSON object per row; the body as text when it is UTF-8, else as base64 (`bodyBase64`). */
function toJson(row: ArchivedDeadLetter): Record<string, unknown> {
  const { content, properties, ...rest } = row;
  const body = utf8(content);
  return {
    ...rest,
    ...(body === undefined ? { bodyBase64: content.toString('base64') } : { body }),
    properties: toArchiveJson(properties),
  };
}

function utf8(content: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(content);
  } catch {
    return undefined;
  }
}
