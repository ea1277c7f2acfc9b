// requires: redis
// Attempts counted in Redis, so a message whose handler crashes the process is counted too. Uses the
// memory transport for the broker and Redis at REDIS_URL (default redis://127.0.0.1:6379).
import { Bridge, EventDispatcher, MemoryTransport, Publisher } from 'tidings';
import { RedisRepeatCounter } from 'tidings/redis';

class OrderPlaced {
  static eventName = 'order.placed';
  constructor(readonly orderId: string) {}
}

const transport = new MemoryTransport();
const dispatcher = new EventDispatcher();
dispatcher.on(OrderPlaced, (event) => {
  throw new Error(`cannot charge ${event.orderId}`);
});

// #region redis-counter
// The counter connects to the URL itself, so it owns that client: close it when you are done.
const repeatCounter = new RedisRepeatCounter({ url: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379' });
const billing = new Bridge({ dispatcher, transport, appId: 'billing', repeatCounter });
billing.consume({
  queue: 'billing.orders',
  bindingKeys: ['order.placed'],
  events: { 'order.placed': OrderPlaced },
  maxAttempts: 3,
  repeatDelaysMs: [10, 20],
});
billing.on('warning', (warning) => console.warn(warning.code, warning.message)); // Redis unreachable
const deadLettered = new Promise((resolve) => {
  billing.on('settled', (settled) => {
    console.log(`${settled.outcome} on attempt ${settled.attempt}`);
    if (settled.outcome === 'dead-lettered') resolve(settled);
  });
});
await billing.start();
await new Publisher(transport, { appId: 'shop' }).send({ orderId: 'o-1' }, 'order.placed');
await deadLettered;

await billing.close(); // stops consuming; the counter and the transport were passed in:
await repeatCounter.close(); // you close them
await transport.close();
// #endregion
