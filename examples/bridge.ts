// The bridge on the embedded defaults: the shop forwards OrderPlaced to the broker, billing consumes it
// back into its own dispatcher; a handler that keeps failing is repeated, then dead-lettered.
// Both bridges share the process's MemoryBroker, like two services on one RabbitMQ.
// #region bridge
import { Bridge, DeadLetters, EventDispatcher, MemoryTransport } from 'tidings';

class OrderPlaced {
  static eventName = 'order.placed';
  constructor(
    readonly orderId: string,
    readonly total: number,
  ) {}
}

// The shop forwards chosen events (and only those) to the broker.
const shop = new EventDispatcher();
const shopTransport = new MemoryTransport(); // or createTransport() from tidings/rabbitmq
const shopBridge = new Bridge({ dispatcher: shop, transport: shopTransport, appId: 'shop' });
shopBridge.forward(OrderPlaced, { routingKey: 'order.placed' });

// Billing, another service, consumes them back into its own dispatcher.
const billing = new EventDispatcher();
billing.on(OrderPlaced, (event) => {
  if (event.total > 1000) throw new Error('card declined'); // repeated, then dead-lettered
  console.log(`billing: charged ${event.total} for ${event.orderId}`);
});
const billingTransport = new MemoryTransport();
const billingBridge = new Bridge({ dispatcher: billing, transport: billingTransport, appId: 'billing' });
billingBridge.consume({
  queue: 'billing.orders',
  bindingKeys: ['order.placed'],
  events: { 'order.placed': OrderPlaced },
  maxAttempts: 3,
  repeatDelaysMs: [10, 20],
});
const gaveUp = new Promise<void>((resolve) => {
  billingBridge.on('settled', (settled) => {
    console.log(`billing: ${settled.outcome} (attempt ${settled.attempt})`);
    if (settled.outcome === 'dead-lettered') resolve();
  });
});
await billingBridge.start();

await shop.dispatch(new OrderPlaced('o-1', 42)); // resolves once the broker has confirmed it
await shop.dispatch(new OrderPlaced('o-2', 5000));
await gaveUp;

const deadLetters = new DeadLetters(billingTransport, { appId: 'billing' });
for (const letter of await deadLetters.list()) {
  console.log(`dead letter: ${letter.reason} after ${letter.attempts} attempts: ${letter.error?.message}`);
}

// What you create, you close: a bridge stops its consumers but leaves the transport you gave it open.
await billingBridge.close();
await shopBridge.close();
await billingTransport.close();
await shopTransport.close();
// #endregion
