// The warehouse, another service: it consumes order.placed from the broker into its own dispatcher. The
// ORM examples import it first, so that its queue is bound before the shop publishes (both use the
// process's embedded broker; on RabbitMQ the warehouse would be a process of its own).
import { Bridge, EventDispatcher, MemoryTransport } from 'tidings';
import { OrderPlaced } from './order.js';

const dispatcher = new EventDispatcher();
const transport = new MemoryTransport();
const bridge = new Bridge({ dispatcher, transport, appId: 'warehouse' });
bridge.consume({
  queue: 'warehouse.orders',
  bindingKeys: ['order.placed'],
  events: { 'order.placed': OrderPlaced },
});

/** Resolves once the warehouse has received an order. */
const received = new Promise<void>((resolve) =>
  dispatcher.on(OrderPlaced, (event) => {
    console.log(`warehouse got ${event.id} (${event.total})`);
    resolve();
  }),
);
await bridge.start();

export const warehouse = {
  received,
  async close(): Promise<void> {
    await bridge.close();
    await transport.close();
  },
};
