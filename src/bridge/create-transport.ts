import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { assertKnownOptions, describeValue } from '../internal/options.js';
import { AmqpTransport, type AmqpTransportOptions } from './amqp/amqp-transport.js';
import { redactUrl } from './amqp/amqp-url.js';
import { MemoryTransport, type MemoryTransportOptions } from './memory/memory-transport.js';
import type { Transport } from './transport.js';

export interface CreateTransportOptions {
  /** @defaultValue process.env.MESSAGE_BROKER ?? 'memory' */
  broker?: 'memory' | 'rabbitmq';
  /** Options of the AmqpTransport; `url` defaults to process.env.AMQP_URL (comma-separated for several). */
  amqp?: AmqpTransportOptions;
  memory?: MemoryTransportOptions;
}

/**
 * The transport the environment asks for, as the seed library's config did: `MESSAGE_BROKER=rabbitmq`
 * with `AMQP_URL` (one URL, or several separated by commas) gives an `AmqpTransport`; anything else
 * unset gives the embedded `MemoryTransport`. Explicit options win over the environment.
 *
 * @example
 * const transport = createTransport(); // memory unless MESSAGE_BROKER=rabbitmq
 */
export function createTransport(
  options: CreateTransportOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): Transport {
  assertKnownOptions(options, ['broker', 'amqp', 'memory'], 'createTransport');
  const broker = options.broker ?? (env['MESSAGE_BROKER'] || 'memory');
  if (broker === 'memory') return new MemoryTransport(options.memory);
  if (broker === 'rabbitmq' || broker === 'amqp') {
    const fromEnv = env['AMQP_URL']
      ?.split(',')
      .map((url) => url.trim())
      .filter((url) => url !== '');
    return new AmqpTransport({
      ...(fromEnv !== undefined && fromEnv.length > 0 ? { url: fromEnv } : {}),
      ...options.amqp,
    });
  }
  throw new InvalidArgumentError(
    `createTransport: unknown broker ${describeValue(redactUrl(String(broker)))} (MESSAGE_BROKER must be "memory" or "rabbitmq")`,
  );
}
