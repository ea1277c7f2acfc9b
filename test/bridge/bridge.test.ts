import { describe, expect, it } from 'vitest';
import {
  Bridge,
  EventDispatcher,
  InvalidArgumentError,
  MemoryBroker,
  MemoryTransport,
  type ConsumedMessage,
  type SettledOutcome,
} from '../../src/index.js';
import { waitFor } from './bridge-scenarios.js';

class Shipped {
  private constructor(
    readonly orderId: string,
    readonly at: Date,
  ) {}
  static eventName = 'order.shipped';
  static fromPayload(payload: unknown): Shipped {
    const { orderId, at } = payload as { orderId: string; at: string };
    return new Shipped(orderId, new Date(at));
  }
  static now(orderId: string) {
    return new Shipped(orderId, new Date('2026-11-20T12:00:00Z'));
  }
}

function setup() {
  const transport = new MemoryTransport({ broker: new MemoryBroker() });
  const shop = new EventDispatcher();
  const warehouse = new EventDispatcher();
  const shopBridge = new Bridge({ dispatcher: shop, transport, appId: 'shop' });
  const warehouseBridge = new Bridge({ dispatcher: warehouse, transport, appId: 'warehouse' });
  const settled: SettledOutcome[] = [];
  warehouseBridge.on('settled', (outcome) => settled.push(outcome));
  return { transport, shop, warehouse, shopBridge, warehouseBridge, settled };
}

describe('Bridge', () => {
  it('rebuilds events through a static fromPayload (dates and all)', async () => {
    const { shop, warehouse, shopBridge, warehouseBridge, transport } = setup();
    shopBridge.forward(Shipped, {
      routingKey: 'order.shipped',
      toPayload: (e) => ({ orderId: e.orderId, at: e.at.toISOString() }),
    });
    warehouseBridge.consume({
      queue: 'warehouse.shipped',
      bindingKeys: ['order.shipped'],
      events: { 'order.shipped': Shipped },
    });
    const received: Shipped[] = [];
    warehouse.on(Shipped, (event) => void received.push(event));
    await warehouseBridge.start();
    await shop.dispatch(Shipped.now('o-1'));
    await waitFor(() => received[0]);
    expect(received[0]).toBeInstanceOf(Shipped);
    expect(received[0]!.at).toEqual(new Date('2026-11-20T12:00:00Z'));
    await Promise.all([shopBridge.close(), warehouseBridge.close()]);
    await transport.close();
  });

  it('consumes with a plain handler function instead of event classes', async () => {
    const { shop, shopBridge, warehouseBridge, settled, transport } = setup();
    shopBridge.forward(Shipped, { routingKey: 'order.shipped', toPayload: (e) => ({ orderId: e.orderId }) });
    const messages: ConsumedMessage[] = [];
    warehouseBridge.consume({
      queue: 'warehouse.raw',
      bindingKeys: ['order.*'],
      handler: (message) => void messages.push(message),
    });
    await warehouseBridge.start();
    await shop.dispatch(Shipped.now('o-2'));
    await waitFor(() => settled[0]);
    expect(messages[0]).toMatchObject({
      payload: { orderId: 'o-2' },
      routingKey: 'order.shipped',
      attempt: 1,
    });
    expect(messages[0]!.properties).toMatchObject({ appId: 'shop', type: 'order.shipped' });
    await Promise.all([shopBridge.close(), warehouseBridge.close()]);
    await transport.close();
  });

  it('rejects wrong options with clear errors', async () => {
    const { warehouseBridge, transport } = setup();
    expect(() => new Bridge({} as never)).toThrow(/"dispatcher" must be an EventDispatcher/);
    expect(() => warehouseBridge.forward(Shipped, { routingKey: 'shipped' })).toThrow(
      /at least two dot-separated parts/,
    );
    expect(() => warehouseBridge.forward(Shipped, { routingKey: 'a.b', priorty: 1 } as never)).toThrow(
      /unknown option "priorty"/,
    );
    expect(() => warehouseBridge.consume({ queue: 'q', bindingKeys: ['a.b'] })).toThrow(
      /either "events" or "handler"/,
    );
    expect(() =>
      warehouseBridge.consume({ queue: 'q', bindingKeys: ['a.b'], handler: () => {}, prefetch: -1 }),
    ).toThrow(InvalidArgumentError);
    expect(() => warehouseBridge.consume({ queue: 'q', bindingKeys: [], handler: () => {} })).toThrow(
      /at least one routing key/,
    );
    expect(() =>
      new Bridge({ dispatcher: new EventDispatcher(), transport, appId: '' }).consume({
        queue: 'q',
        bindingKeys: ['a.b'],
        handler: () => {},
      }),
    ).toThrow(/appId must be a non-empty string/);
    await transport.close();
  });
});
