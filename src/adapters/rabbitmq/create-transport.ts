import { BrokerNotConfiguredError } from '../../errors/broker-not-configured-error.js';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { assertKnownOptions, describeValue, optionKeys } from '../../internal/options.js';
import { AmqpTransport, type AmqpTransportOptions } from './amqp-transport.js';
import { redactUrl } from '../../internal/redact.js';
import { amqpUrlsFrom } from './amqp-url.js';
import { MemoryTransport, type MemoryTransportOptions } from '../memory/memory-transport.js';
import type { Transport } from '../../messaging/transport.js';
import { loggerOption, type Logger } from '../../messaging/logging/logger.js';

export interface CreateTransportOptions {
  /**
   * Which transport. Unset: `MESSAGE_BROKER`, else `'rabbitmq'` when `AMQP_URL` or `amqp.url` is set,
   * else `'memory'` — except with `NODE_ENV=production`, where that last step throws
   * `BrokerNotConfiguredError`.
   */
  broker?: 'memory' | 'rabbitmq';
  /** Options of the AmqpTransport; `url` defaults to process.env.AMQP_URL (comma-separated for several). */
  amqp?: AmqpTransportOptions;
  memory?: MemoryTransportOptions;
  /**
   * The `logger` of whichever transport is created (`amqp.logger` or `memory.logger` win over it).
   * @defaultValue none
   */
  logger?: Logger;
}

const OPTION_KEYS = optionKeys<CreateTransportOptions>({
  broker: true,
  amqp: true,
  memory: true,
  logger: true,
});

/**
 * The transport the configuration asks for, first match wins:
 *
 * 1. `options.broker`;
 * 2. `MESSAGE_BROKER` (`memory` or `rabbitmq`), so `MESSAGE_BROKER=memory` wins over an `AMQP_URL`;
 * 3. `AMQP_URL` (one URL, or several separated by commas) or `options.amqp.url`: RabbitMQ — a URL
 *    given is never ignored in favour of the in-memory transport;
 * 4. nothing: the embedded `MemoryTransport`, unless `NODE_ENV=production`, where it throws
 *    `BrokerNotConfiguredError`: a service deployed without its broker setting must not start and
 *    quietly keep its messages to itself.
 *
 * @example
 * const transport = createTransport(); // RabbitMQ when AMQP_URL is set, memory in development
 * const local = createTransport({ broker: 'memory' }); // memory everywhere, production included
 */
export function createTransport(
  options: CreateTransportOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): Transport {
  assertKnownOptions(options, OPTION_KEYS, 'createTransport');
  const urls = amqpUrlsFrom(env['AMQP_URL']);
  const fromEnv = urls.length > 0 ? urls : undefined;
  const broker =
    options.broker ??
    (env['MESSAGE_BROKER'] ||
      (fromEnv !== undefined || options.amqp?.url !== undefined ? 'rabbitmq' : implicitMemory(env)));
  const logger = loggerOption(options.logger, 'createTransport');
  const logging = logger === undefined ? {} : { logger };
  if (broker === 'memory') return new MemoryTransport({ ...logging, ...options.memory });
  if (broker === 'rabbitmq' || broker === 'amqp') {
    return new AmqpTransport({
      ...(fromEnv !== undefined ? { url: fromEnv } : {}),
      ...logging,
      ...options.amqp,
    });
  }
  throw new InvalidArgumentError(
    `createTransport: unknown broker ${describeValue(redactUrl(String(broker)))} (MESSAGE_BROKER must be "memory" or "rabbitmq")`,
  );
}

/** The in-memory transport as the fallback of an unconfigured broker: never in production. */
function implicitMemory(env: NodeJS.ProcessEnv): 'memory' {
  if (env['NODE_ENV'] === 'production') throw new BrokerNotConfiguredError();
  return 'memory';
}
