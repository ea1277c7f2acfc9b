// DeadLetters.visit, what the archive is built on: a message leaves the dead-letter queue only when its
// visitor says 'remove', and a visitor that throws loses nothing.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { DeadLetters } from '../../../src/messaging/dead-letters/dead-letters.js';
import { MemoryBroker } from '../../../src/adapters/memory/memory-broker.js';
import { MemoryTransport } from '../../../src/adapters/memory/memory-transport.js';
import { HEADERS } from '../../../src/messaging/names.js';
import { InvalidArgumentError } from '../../../src/errors/invalid-argument-error.js';

describe('DeadLetters.visit', () => {
  const transports: MemoryTransport[] = [];
  afterEach(async () => {
    await Promise.all(transports.splice(0).map((transport) => transport.close({ timeoutMs: 100 })));
  });

  async function queueWith(
    bodies: string[],
  ): Promise<{ deadLetters: DeadLetters; bodies: () => Promise<string[]> }> {
    const transport = new MemoryTransport({ broker: new MemoryBroker() });
    transports.push(transport);
    const appId = `visit-${randomUUID().slice(0, 8)}`;
    const deadLetters = new DeadLetters(transport, { appId });
    await transport.declare({ queues: [{ name: deadLetters.names.queue }] });
    for (const body of bodies) {
      await transport.publish({
        exchange: '',
        routingKey: deadLetters.names.queue,
        content: Buffer.from(body),
        properties: {
          messageId: body,
          headers: { [HEADERS.deadReason]: body.startsWith('bad') ? 'invalid-content' : 'repeats-exhausted' },
        },
      });
    }
    return {
      deadLetters,
      bodies: async () => (await deadLetters.list()).map((deadLetter) => deadLetter.content.toString()),
    };
  }

  it('removes only what the visitor removes, and keeps the rest in order', async () => {
    const { deadLetters, bodies } = await queueWith(['a', 'bad-1', 'b', 'bad-2']);
    const seen: string[] = [];
    const result = await deadLetters.visit({ reason: 'repeats-exhausted' }, (deadLetter) => {
      seen.push(deadLetter.messageId);
      return deadLetter.messageId === 'a' ? 'remove' : 'keep';
    });
    expect(result).toEqual({ scanned: 4, skipped: 2 });
    expect(seen).toEqual(['a', 'b']);
    // Sorted: MemoryTransport puts each requeued message at the head, so it returns several in reverse
    // order (RabbitMQ puts them back where they were; the integration tests check the order there).
    expect((await bodies()).sort()).toEqual(['b', 'bad-1', 'bad-2']);
  });

  it('a visitor that throws stops the visit and returns its message to the queue with the others', async () => {
    const { deadLetters, bodies } = await queueWith(['a', 'b', 'c', 'd']);
    const failure = new Error('the database is down');
    await expect(
      deadLetters.visit({}, async (deadLetter) => {
        if (deadLetter.messageId === 'c') throw failure;
        return deadLetter.messageId === 'a' ? 'remove' : 'keep';
      }),
    ).rejects.toBe(failure);
    expect((await bodies()).sort()).toEqual(['b', 'c', 'd']);
  });

  it('takes a function and known filter keys only', async () => {
    const { deadLetters } = await queueWith([]);
    await expect(deadLetters.visit({}, 'remove' as never)).rejects.toThrow(InvalidArgumentError);
    await expect(deadLetters.visit({ dryRun: true } as never, () => 'keep')).rejects.toThrow(
      /unknown option "dryRun"/,
    );
  });
});
