import { describe, expect, it } from 'vitest';
import {
  idempotent,
  InMemoryUnitOfWork,
  MemoryBroker,
  MemoryInbox,
  MemoryTransport,
  Publisher,
  Consumer,
  type SettledOutcome,
} from '../../src/index.js';
import { waitFor } from '../bridge/bridge-scenarios.js';

async function setup() {
  const transport = new MemoryTransport({ broker: new MemoryBroker() });
  const subscriber = new Consumer(transport, {
    appId: 'billing',
    queue: 'billing.orders',
    bindingKeys: ['order.placed'],
    repeatDelaysMs: [0],
  });
  const settled: SettledOutcome[] = [];
  subscriber.on('settled', (outcome) => settled.push(outcome));
  return { transport, subscriber, settled, publisher: new Publisher(transport) };
}

describe('idempotent consumers (inbox)', () => {
  it('a message delivered twice changes the state once', async () => {
    const { subscriber, settled, publisher, transport } = await setup();
    const unitOfWork = new InMemoryUnitOfWork();
    const invoices: string[] = [];
    await subscriber.consume(
      idempotent({ inbox: new MemoryInbox(), unitOfWork, consumer: 'billing' }, async ({ messageId }, tx) => {
        tx.onCommit(() => void invoices.push(messageId));
      }),
    );
    await publisher.send({ n: 1 }, 'order.placed', { messageId: 'm-1' });
    await publisher.send({ n: 1 }, 'order.placed', { messageId: 'm-1' }); // a relay re-sent it
    await publisher.send({ n: 2 }, 'order.placed', { messageId: 'm-2' });
    await waitFor(() => settled.length === 3, 2000, 'three acks');
    expect(settled.map((outcome) => outcome.outcome)).toEqual(['acked', 'acked', 'acked']);
    expect(invoices.sort()).toEqual(['m-1', 'm-2']);
    await subscriber.close();
    await transport.close();
  });

  it('a handler that fails rolls its record back, so the repeat runs it again', async () => {
    const { subscriber, settled, publisher, transport } = await setup();
    const unitOfWork = new InMemoryUnitOfWork();
    const runs: number[] = [];
    await subscriber.consume(
      idempotent({ inbox: new MemoryInbox(), unitOfWork, consumer: 'billing' }, ({ attempt }) => {
        runs.push(attempt);
        if (attempt === 1) throw new Error('database hiccup');
      }),
    );
    await publisher.send({ n: 1 }, 'order.placed');
    await waitFor(() => settled.find((outcome) => outcome.outcome === 'acked'), 2000, 'the ack');
    expect(runs).toEqual([1, 2]);
    await subscriber.close();
    await transport.close();
  });

  it('two consumers of one message each process it once; the consumer name is required', async () => {
    const inbox = new MemoryInbox();
    const unitOfWork = new InMemoryUnitOfWork();
    const record = (consumer: string) => unitOfWork.transaction((tx) => inbox.record(consumer, 'm', tx));
    expect([await record('billing'), await record('billing'), await record('shipping')]).toEqual([
      true,
      false,
      true,
    ]);
    expect(() => idempotent({ inbox, unitOfWork, consumer: '' }, () => {})).toThrow(/"consumer" must name/);
  });
});
