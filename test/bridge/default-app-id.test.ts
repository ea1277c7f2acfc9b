// The application id a component uses when it is given none: one default for all of them, so that the
// messages and dead-letter names of one service agree whichever API it uses.
import { afterEach, describe, expect, it } from 'vitest';
import {
  Bridge,
  Consumer,
  DeadLetters,
  encodeOutboxMessage,
  EventDispatcher,
  MemoryBroker,
  MemoryTransport,
  Publisher,
  type Transport,
} from '../../src/index.js';
import { defaultAppId } from '../../src/messaging/defaults.js';

const saved = process.env['TIDINGS_APP_ID'];
afterEach(() => {
  if (saved === undefined) delete process.env['TIDINGS_APP_ID'];
  else process.env['TIDINGS_APP_ID'] = saved;
});

/** The `appId` property and origin header of a message the publisher sends. */
async function publishedBy(transport: Transport, publisher: Publisher): Promise<unknown[]> {
  await transport.declare({
    exchanges: [{ name: 'order', type: 'topic', durable: true }],
    queues: [{ name: 'seen' }],
    bindings: [{ queue: 'seen', exchange: 'order', pattern: 'order.placed' }],
  });
  await publisher.send({ orderId: 'o-1' }, 'order.placed');
  const delivery = await transport.get('seen');
  delivery?.ack();
  return [delivery?.properties.appId, delivery?.properties.headers['x-tidings-origin']];
}

describe('the default appId', () => {
  it("is TIDINGS_APP_ID, else 'tidings'", () => {
    expect(defaultAppId({})).toBe('tidings');
    expect(defaultAppId({ TIDINGS_APP_ID: 'billing' })).toBe('billing');
  });

  it("is what every component uses when it is given none: 'tidings'", async () => {
    delete process.env['TIDINGS_APP_ID'];
    const transport = new MemoryTransport({ broker: new MemoryBroker() });
    expect(await publishedBy(transport, new Publisher(transport))).toEqual(['tidings', 'tidings']);
    expect(new Bridge({ dispatcher: new EventDispatcher(), transport }).appId).toBe('tidings');
    expect(new Consumer(transport, { queue: 'q', bindingKeys: ['order.placed'] }).appId).toBe('tidings');
    expect(new DeadLetters(transport).names.queue).toBe('tidings.dead-letters');
    await transport.close();
  });

  it('is TIDINGS_APP_ID for every component when it is set', async () => {
    process.env['TIDINGS_APP_ID'] = 'billing';
    const transport = new MemoryTransport({ broker: new MemoryBroker() });
    expect(await publishedBy(transport, new Publisher(transport))).toEqual(['billing', 'billing']);
    expect(new Bridge({ dispatcher: new EventDispatcher(), transport }).appId).toBe('billing');
    expect(new Consumer(transport, { queue: 'q', bindingKeys: ['order.placed'] }).appId).toBe('billing');
    expect(new DeadLetters(transport).names.queue).toBe('billing.dead-letters');
    await transport.close();
  });

  it('is what encodeOutboxMessage writes, so the outbox stores what a Publisher sends', () => {
    delete process.env['TIDINGS_APP_ID'];
    const { properties } = encodeOutboxMessage({ orderId: 'o-1' }, 'order.placed');
    expect([properties.appId, properties.headers?.['x-tidings-origin']]).toEqual(['tidings', 'tidings']);
  });

  it('gives way to the appId option', async () => {
    process.env['TIDINGS_APP_ID'] = 'billing';
    const transport = new MemoryTransport({ broker: new MemoryBroker() });
    const publisher = new Publisher(transport, { appId: 'shipping' });
    expect(await publishedBy(transport, publisher)).toEqual(['shipping', 'shipping']);
    await transport.close();
  });
});
