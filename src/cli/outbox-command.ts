import { PgOutbox } from '../adapters/postgres/pg-outbox.js';
import { pgOutboxSchemaSql } from '../adapters/postgres/pg-outbox-sql.js';
import { passwordsOf, redact, redactUrl } from '../internal/redact.js';
import { brokerUrls } from './broker-urls.js';
import { runRelay } from './outbox-relay-command.js';
import { openCliPool } from './pg-pool.js';

export interface OutboxCommandOptions {
  command: 'migrate' | 'status' | 'relay';
  databaseUrl: string | undefined;
  amqpUrl: string | undefined;
  table: string | undefined;
  schema: string | undefined;
  print: boolean;
  batchSize: number | undefined;
  /** relay: how often it prints progress. */
  progressEveryMs: number;
}

/**
 * `tidings outbox migrate|status|relay`. pg is loaded only here (it is an optional peer dependency of
 * tidings): the rest of the CLI works without it.
 */
export async function outboxCommand(
  options: OutboxCommandOptions,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  const names = {
    ...(options.table ? { table: options.table } : {}),
    ...(options.schema ? { schema: options.schema } : {}),
  };
  if (options.command === 'migrate' && options.print) {
    out.write(`${pgOutboxSchemaSql(names)};\n`);
    return 0;
  }
  const databaseUrl = options.databaseUrl || process.env['DATABASE_URL'] || undefined;
  if (databaseUrl === undefined) {
    err.write('tidings: the outbox needs PostgreSQL: pass --database-url or set DATABASE_URL\n');
    return 2;
  }
  const amqpUrls = brokerUrls(options.amqpUrl);
  const secrets = passwordsOf([databaseUrl, ...(amqpUrls ?? [])]);
  const pool = await openCliPool(databaseUrl, 'the outbox commands need', err);
  if (typeof pool === 'number') return pool;
  const outbox = new PgOutbox({ pool, ...names });
  try {
    if (options.command === 'migrate') {
      await outbox.ensureSchema();
      out.write(`outbox table ready in ${redactUrl(databaseUrl)}\n`);
      return 0;
    }
    if (options.command === 'status') {
      const stats = await outbox.stats();
      out.write(
        `pending ${stats.pending} (oldest ${Math.round(stats.oldestPendingAgeMs / 1000)} s), in flight ${stats.inFlight}, ` +
          `failing ${stats.failing}, published ${stats.published}\n`,
      );
      return 0;
    }
    return await runRelay(
      outbox,
      {
        databaseUrl,
        amqpUrls,
        table: `${outbox.names.schema}.${outbox.names.table}`,
        batchSize: options.batchSize,
        progressEveryMs: options.progressEveryMs,
        secrets,
      },
      out,
      err,
    );
  } catch (error) {
    err.write(`tidings: ${redact((error as Error).message, secrets)}\n`);
    return 1;
  } finally {
    await pool.end().catch(() => {});
  }
}
