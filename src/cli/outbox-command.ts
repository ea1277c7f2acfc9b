import type { Pool } from 'pg';
import { AmqpTransport } from '../bridge/amqp/amqp-transport.js';
import { redactSecrets, redactUrl } from '../bridge/amqp/amqp-url.js';
import { OutboxRelay } from '../outbox/outbox-relay.js';
import { PgOutbox } from '../outbox/postgres/pg-outbox.js';
import { pgOutboxSchemaSql } from '../outbox/postgres/pg-outbox-sql.js';

export interface OutboxCommandOptions {
  command: 'migrate' | 'status' | 'relay';
  databaseUrl: string | undefined;
  amqpUrl: string | undefined;
  table: string | undefined;
  schema: string | undefined;
  print: boolean;
  batchSize: number | undefined;
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
  if (!URL.canParse(databaseUrl)) {
    // Not echoed: the part that does not parse may well be the password.
    err.write('tidings: the PostgreSQL URL is not a valid URL (it is not shown: it may hold a password)\n');
    return 2;
  }
  const secrets = [databaseUrl, ...(options.amqpUrl ?? '').split(',')].flatMap(passwordForms);
  let pg: { default: { Pool: new (config: object) => Pool } };
  try {
    pg = await import('pg');
  } catch {
    err.write('tidings: the outbox commands need the "pg" package: npm install pg\n');
    return 2;
  }
  const pool = new pg.default.Pool({ connectionString: databaseUrl, application_name: 'tidings-cli' });
  pool.on('error', () => {}); // an idle client's error is retried by the relay, not fatal
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
    return await runRelay(outbox, options, out, err, secrets);
  } catch (error) {
    err.write(`tidings: ${redactSecrets((error as Error).message, secrets)}\n`);
    return 1;
  } finally {
    await pool.end().catch(() => {});
  }
}

async function runRelay(
  outbox: PgOutbox,
  options: OutboxCommandOptions,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
  secrets: string[],
): Promise<number> {
  const url = options.amqpUrl ?? process.env['AMQP_URL'];
  const transport = new AmqpTransport(url === undefined ? {} : { url: url.split(',') });
  const relay = new OutboxRelay({
    outbox,
    transport,
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
  });
  let published = 0;
  relay.on('published', ({ count }) => (published += count));
  relay.on('failed', ({ id, attempts, error }) =>
    err.write(`failed ${id} (attempt ${attempts}): ${error.message}\n`),
  );
  relay.on('error', (error) => err.write(`tidings: ${redactSecrets(error.message, secrets)} (retrying)\n`));
  relay.on('metrics', (stats) => out.write(`pending ${stats.pending}, published so far ${published}\n`));
  const stopped = new Promise<void>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
  });
  out.write(`relaying as ${relay.owner}; Ctrl-C stops\n`);
  relay.start();
  await stopped;
  await relay.stop();
  await transport.close();
  out.write(`stopped; published ${published}\n`);
  return 0;
}

/** The password of a URL as written and decoded, to remove from messages; none if it does not parse. */
function passwordForms(url: string): string[] {
  if (!URL.canParse(url)) return [];
  const { password } = new URL(url);
  if (password === '') return [];
  try {
    return [password, decodeURIComponent(password)];
  } catch {
    return [password]; // a malformed %-escape: only the form as written can show
  }
}
