import { AmqpTransport } from '../bridge/amqp/amqp-transport.js';
import { redactSecrets, redactUrl } from '../bridge/amqp/amqp-url.js';
import { OutboxRelay } from '../outbox/outbox-relay.js';
import { PgOutbox } from '../outbox/postgres/pg-outbox.js';
import { pgOutboxSchemaSql } from '../outbox/postgres/pg-outbox-sql.js';
import { openCliPool, passwordForms } from './pg-pool.js';

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
  const secrets = [databaseUrl, ...(options.amqpUrl ?? '').split(',')].flatMap(passwordForms);
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
