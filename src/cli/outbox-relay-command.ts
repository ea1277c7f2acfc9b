import { AmqpTransport } from '../adapters/rabbitmq/amqp-transport.js';
import { redact, redactUrl } from '../internal/redact.js';
import { sleep } from '../internal/signal.js';
import { OutboxRelay } from '../messaging/outbox/outbox-relay.js';
import type { PgOutbox } from '../adapters/postgres/pg-outbox.js';
import { brokerLabel } from './broker-urls.js';
import { fatalReason } from './fatal-errors.js';
import { RelayProgress } from './relay-progress.js';

export interface RelayCommandOptions {
  databaseUrl: string;
  /** The broker URL(s) (`brokerUrls`); `undefined` is the default broker. */
  amqpUrls: string[] | undefined;
  /** `schema.table`, for the first line. */
  table: string;
  batchSize: number | undefined;
  progressEveryMs: number;
  /** Passwords to remove from every message. */
  secrets: readonly string[];
}

/**
 * How long the relay waits for the broker before it claims rows. A refused login comes back within
 * milliseconds: waiting for it stops the relay before it claims a batch only to mark every row failed.
 * A broker that does not answer is not waited for longer: the relay retries it while it runs.
 */
const BROKER_GRACE_MS = 2000;
/** SQLSTATE 42P01: the table does not exist. */
const UNDEFINED_TABLE = '42P01';

/**
 * `tidings outbox relay`: relays until SIGINT or SIGTERM (exit code 0), printing progress every
 * `progressEveryMs`. Trouble that may pass (a server unreachable, a row refused) is printed and retried;
 * a refused login (see `fatalReason`) stops it at once with exit code 1.
 */
export async function runRelay(
  outbox: PgOutbox,
  options: RelayCommandOptions,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  const urls = options.amqpUrls;
  const transport = new AmqpTransport(urls === undefined ? {} : { url: urls });
  const hide = (message: string): string => redact(message, options.secrets);
  let brokerConnected = false;
  transport.on('connected', () => void (brokerConnected = true));

  let fatal: string | undefined;
  let stopping = false;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => {
    finish = () => {
      stopping = true;
      resolve();
    };
  });
  const signals = ['SIGINT', 'SIGTERM'] as const;
  // once: a second Ctrl-C while stopping takes the default action and ends the process.
  for (const signal of signals) process.once(signal, finish);
  /** Stops at a refused login; prints anything else (the relay and the transport retry it). */
  const trouble = (error: Error, print: string): void => {
    if (stopping) return; // what stopping brings up (the transport closed under a connect) is noise
    fatal = fatalReason(error, { databaseUrl: redactUrl(options.databaseUrl), brokerConnected });
    if (fatal !== undefined) finish();
    else err.write(`${hide(print)}\n`);
  };

  const relay = new OutboxRelay({
    outbox,
    transport,
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
  });
  const progress = new RelayProgress(outbox, options.progressEveryMs);
  relay.on('published', ({ count }) => void (progress.published += count));
  relay.on('failed', ({ id, attempts, error }) => {
    progress.failed++;
    trouble(error, `failed ${id} (attempt ${attempts}): ${error.message}`);
  });
  relay.on('error', (error) => {
    // Retried: a relay may well start before the migration that creates its table.
    const missingTable = (error as { code?: unknown }).code === UNDEFINED_TABLE;
    const message = missingTable
      ? `there is no outbox table ${options.table} ("tidings outbox migrate" creates it)`
      : error.message;
    trouble(error, `tidings: ${message} (retrying)`);
  });
  transport.on('error', (error) => trouble(error, `tidings: ${error.message} (retrying)`));

  out.write(
    `relaying as ${relay.owner}: ${options.table} in ${redactUrl(options.databaseUrl)} ` +
      `to ${brokerLabel(urls)}; Ctrl-C stops\n`,
  );
  const connecting = transport.connect().then(
    () => undefined,
    (error: unknown) => {
      const failure = error instanceof Error ? error : new Error(String(error));
      trouble(failure, `tidings: ${failure.message} (retrying)`);
    },
  );
  const grace = new AbortController();
  await Promise.race([connecting, sleep(BROKER_GRACE_MS, grace.signal), finished]);
  grace.abort();

  const started = !stopping; // not for a refused login, nor a Ctrl-C, during the grace period
  if (started) {
    relay.start();
    progress.start((line) => out.write(line));
  }
  await finished;
  progress.stop();
  for (const signal of signals) process.off(signal, finish);
  if (started) await relay.stop();
  await transport.close().catch(() => {});
  if (fatal !== undefined) {
    err.write(
      `tidings: ${hide(fatal)}\ntidings: stopped without retrying; published ${progress.published}\n`,
    );
    return 1;
  }
  out.write(`stopped; published ${progress.published}\n`);
  return 0;
}
