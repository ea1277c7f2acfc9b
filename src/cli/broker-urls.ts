import { amqpUrlsFrom } from '../adapters/rabbitmq/amqp-url.js';
import { redactUrl } from '../internal/redact.js';
import { DEFAULT_AMQP_URL } from '../adapters/rabbitmq/amqp-transport-options.js';

/**
 * The broker URL(s) of a command: `--url`, else `AMQP_URL`, each a comma-separated list read as the
 * library reads `AMQP_URL` (`amqpUrlsFrom`: trimmed, empty entries dropped). `undefined` when neither
 * names a URL (unset, or empty as in `AMQP_URL=`): the transport's default broker.
 */
export function brokerUrls(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string[] | undefined {
  for (const text of [flag, env['AMQP_URL']]) {
    const urls = amqpUrlsFrom(text);
    if (urls.length > 0) return urls;
  }
  return undefined;
}

/** The broker(s) a command connects to, passwords masked: `brokerUrls`, else the default. */
export function brokerLabel(urls: readonly string[] | undefined): string {
  return (urls ?? [DEFAULT_AMQP_URL]).map((url) => redactUrl(url)).join(',');
}
