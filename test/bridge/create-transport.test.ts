import { describe, expect, it } from 'vitest';
import {
  BrokerNotConfiguredError,
  InvalidArgumentError,
  MemoryTransport,
  type Transport,
} from '../../src/index.js';
import { AmqpTransport, createTransport } from '../../src/rabbitmq.js';

/** The transport chosen for an environment, closed at once: nothing here connects to anything. */
async function kindOf(
  env: NodeJS.ProcessEnv,
  options: Parameters<typeof createTransport>[0] = {},
): Promise<'memory' | 'rabbitmq'> {
  const transport: Transport = createTransport(options, env);
  await transport.close();
  if (transport instanceof MemoryTransport) return 'memory';
  expect(transport).toBeInstanceOf(AmqpTransport);
  return 'rabbitmq';
}

/** What createTransport threw, or undefined. */
function thrownBy(env: NodeJS.ProcessEnv, options: Parameters<typeof createTransport>[0] = {}): unknown {
  try {
    void createTransport(options, env).close();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('createTransport()', () => {
  it('is the memory transport when nothing names a broker, outside production', async () => {
    const memory = createTransport({}, {});
    expect(memory).toBeInstanceOf(MemoryTransport);
    await memory.close();
    expect(
      createTransport({}, { MESSAGE_BROKER: 'rabbitmq', AMQP_URL: 'amqp://a:b@h1,amqp://a:b@h2' }),
    ).toBeInstanceOf(AmqpTransport);
  });

  it('explicit options win over the environment', async () => {
    const transport = createTransport({ broker: 'memory' }, { MESSAGE_BROKER: 'rabbitmq' });
    expect(transport).toBeInstanceOf(MemoryTransport);
    await transport.close();
  });

  it('rejects an unknown broker and a malformed URL without showing the password', () => {
    expect(() => createTransport({}, { MESSAGE_BROKER: 'kafka' })).toThrow(/unknown broker "kafka"/);
    let caught: unknown;
    try {
      createTransport({}, { MESSAGE_BROKER: 'rabbitmq', AMQP_URL: 'http://user:hunter22@host' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidArgumentError);
    expect((caught as Error).message).toMatch(/must start with amqp:\/\/ or amqps:\/\//);
    expect((caught as Error).message).not.toContain('hunter22');
    expect(() => new AmqpTransport({ url: 'amqp://u:pw@' })).toThrow(/Malformed AMQP URL|has no host/);
    expect(() => new AmqpTransport({ heartbeat: 3 } as never)).toThrow(/unknown option "heartbeat"/);
  });

  // The selection rules, in the order the README's table gives them.
  it.each<[string, NodeJS.ProcessEnv, Parameters<typeof createTransport>[0], 'memory' | 'rabbitmq']>([
    ['nothing set', {}, {}, 'memory'],
    ['AMQP_URL alone selects RabbitMQ', { AMQP_URL: 'amqp://u:p@broker' }, {}, 'rabbitmq'],
    ['AMQP_URL with several URLs', { AMQP_URL: 'amqp://u:p@h1, amqp://u:p@h2' }, {}, 'rabbitmq'],
    ['an empty AMQP_URL is unset', { AMQP_URL: ' , ' }, {}, 'memory'],
    ['amqp.url given in code', {}, { amqp: { url: 'amqp://u:p@broker' } }, 'rabbitmq'],
    ['MESSAGE_BROKER=rabbitmq without a URL', { MESSAGE_BROKER: 'rabbitmq' }, {}, 'rabbitmq'],
    [
      'MESSAGE_BROKER=memory wins over AMQP_URL',
      { MESSAGE_BROKER: 'memory', AMQP_URL: 'amqp://h' },
      {},
      'memory',
    ],
    ['broker option wins over AMQP_URL', { AMQP_URL: 'amqp://h' }, { broker: 'memory' }, 'memory'],
    [
      'broker option wins over MESSAGE_BROKER',
      { MESSAGE_BROKER: 'memory' },
      { broker: 'rabbitmq' },
      'rabbitmq',
    ],
    ['production with AMQP_URL', { NODE_ENV: 'production', AMQP_URL: 'amqp://h' }, {}, 'rabbitmq'],
    [
      'production, memory asked by MESSAGE_BROKER',
      { NODE_ENV: 'production', MESSAGE_BROKER: 'memory' },
      {},
      'memory',
    ],
    ['production, memory asked in code', { NODE_ENV: 'production' }, { broker: 'memory' }, 'memory'],
    [
      'production, amqp.url given in code',
      { NODE_ENV: 'production' },
      { amqp: { url: 'amqp://h' } },
      'rabbitmq',
    ],
    ['NODE_ENV=development', { NODE_ENV: 'development' }, {}, 'memory'],
  ])('%s', async (_rule, env, options, expected) => {
    expect(await kindOf(env, options)).toBe(expected);
  });

  it('never picks the memory transport implicitly in production: a typed error says what to set', () => {
    for (const env of [
      { NODE_ENV: 'production' },
      { NODE_ENV: 'production', MESSAGE_BROKER: '', AMQP_URL: '' },
    ]) {
      const error = thrownBy(env);
      expect(error).toBeInstanceOf(BrokerNotConfiguredError);
      expect(error).toMatchObject({
        name: 'BrokerNotConfiguredError',
        code: 'ERR_TIDINGS_BROKER_NOT_CONFIGURED',
      });
      const message = (error as Error).message;
      expect(message).toContain('NODE_ENV is "production"');
      expect(message).toContain('AMQP_URL=amqp://');
      expect(message).toContain("createTransport({ broker: 'memory' })");
      expect(message).toContain('MESSAGE_BROKER=memory');
    }
    // Options that configure a transport without choosing one do not count as a choice.
    expect(thrownBy({ NODE_ENV: 'production' }, { amqp: { heartbeatSeconds: 5 } })).toBeInstanceOf(
      BrokerNotConfiguredError,
    );
  });

  it('takes the URLs of AMQP_URL, and lets amqp.url in code win over them', () => {
    const failing = thrownBy({ AMQP_URL: 'http://u:pw-1234@h' });
    expect((failing as Error).message).toMatch(/AMQP URL http:\/\/u:\*\*\*@h must start with amqp:/);
    // The URL in code wins: the malformed one from the environment is never looked at.
    expect(thrownBy({ AMQP_URL: 'http://u:pw-1234@h' }, { amqp: { url: 'amqp://u:p@h' } })).toBeUndefined();
  });
});
