import { AmqpTransport } from '../adapters/rabbitmq/amqp-transport.js';
import { createTransport } from '../adapters/rabbitmq/create-transport.js';
import { DeadLetters, type DeadLetter } from '../messaging/dead-letters/dead-letters.js';
import type { Transport } from '../messaging/transport.js';
import { passwordsOf, redact } from '../internal/redact.js';
import { brokerLabel, brokerUrls } from './broker-urls.js';

export interface DeadLettersCommandOptions {
  command: 'list' | 'replay' | 'purge';
  amqpUrl: string | undefined;
  appId: string | undefined;
  deadLetterQueue: string | undefined;
  queue: string | undefined;
  reason: string | undefined;
  limit: number | undefined;
  rate: number | undefined;
  dryRun: boolean;
  json: boolean;
}

/** `tidings dead-letters list|replay|purge`. */
export async function deadLettersCommand(
  options: DeadLettersCommandOptions,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  const urls = brokerUrls(options.amqpUrl);
  const memory = process.env['MESSAGE_BROKER'] === 'memory';
  const transport: Transport = memory
    ? createTransport({ broker: 'memory' })
    : new AmqpTransport({ ...(urls !== undefined ? { url: urls } : {}), maxConnectAttempts: 3 });
  const secrets = passwordsOf(urls ?? []);
  const deadLetters = new DeadLetters(transport, {
    ...(options.appId !== undefined ? { appId: options.appId } : {}),
    ...(options.deadLetterQueue !== undefined ? { deadLetter: { queue: options.deadLetterQueue } } : {}),
  });
  const filter = {
    ...(options.queue !== undefined ? { queue: options.queue } : {}),
    ...(options.reason !== undefined ? { reason: options.reason } : {}),
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
  };
  const { dryRun } = options;
  try {
    const missing = await missingDeadLetterQueue(transport, deadLetters.names.queue, {
      broker: memory ? 'the in-process memory broker (MESSAGE_BROKER=memory)' : brokerLabel(urls),
      deadLetterQueue: options.deadLetterQueue,
      appId: options.appId,
    });
    if (missing !== undefined) {
      err.write(`tidings: ${missing}\n`); // made of names and masked URLs only
      return 1;
    }
    if (options.command === 'list') {
      const found = await deadLetters.list(filter);
      for (const deadLetter of found)
        out.write((options.json ? JSON.stringify(toJson(deadLetter)) : describe(deadLetter)) + '\n');
      if (!options.json) out.write(`${found.length} dead letter(s) in ${deadLetters.names.queue}\n`);
    } else if (options.command === 'replay') {
      const summary = await deadLetters.replay({
        ...filter,
        dryRun,
        ...(options.rate !== undefined ? { ratePerSecond: options.rate } : {}),
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
    err.write(`tidings: ${redact((error as Error).message, secrets)}\n`);
    return 1;
  } finally {
    await transport.close().catch(() => {});
  }
}

/**
 * Why the dead-letter queue cannot be used, or `undefined` when it exists. Without this check a mistyped
 * --app-id would list "0 dead letter(s)" of a queue that does not exist. `queueStats` is a passive
 * declare (AMQP queue.declare passive, answered 404 for an unknown queue): it creates nothing. Throws
 * when the broker cannot be reached.
 */
export async function missingDeadLetterQueue(
  transport: Transport,
  queue: string,
  given: { broker: string; deadLetterQueue: string | undefined; appId: string | undefined },
): Promise<string | undefined> {
  let connectedTo: string | undefined;
  const onConnected = ({ url }: { url: string }): void => void (connectedTo = url);
  transport.on('connected', onConnected);
  try {
    if ((await transport.queueStats(queue)) !== undefined) return undefined;
  } finally {
    transport.off('connected', onConnected);
  }
  const check =
    given.deadLetterQueue !== undefined
      ? '--dead-letter-queue'
      : given.appId === undefined && process.env['TIDINGS_APP_ID'] !== undefined
        ? '--app-id (TIDINGS_APP_ID)'
        : '--app-id';
  // The broker it reached, of a failover list; the memory transport's "memory://" says less than `broker`.
  const broker = transport instanceof AmqpTransport ? (connectedTo ?? given.broker) : given.broker;
  return `no dead-letter queue "${queue}" on ${broker}: check ${check}`;
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
