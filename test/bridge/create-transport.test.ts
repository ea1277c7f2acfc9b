import { describe, expect, it } from 'vitest';
import { AmqpTransport, createTransport, InvalidArgumentError, MemoryTransport } from '../../src/index.js';

describe('createTransport()', () => {
  it('is the memory transport unless MESSAGE_BROKER says rabbitmq', async () => {
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
});
