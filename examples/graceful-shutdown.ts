// Stop consuming before the process exits, so that running handlers finish and are acked rather than
// redelivered to another consumer. This example sends itself SIGTERM while a handler runs.
import { Bridge, EventDispatcher, MemoryOutbox, MemoryTransport, OutboxRelay, Publisher } from 'tidings';

class OrderPlaced {
  static eventName = 'order.placed';
  constructor(readonly orderId: string) {}
}

const transport = new MemoryTransport();
const relay = new OutboxRelay({ outbox: new MemoryOutbox(), transport });
relay.start();
const dispatcher = new EventDispatcher();
dispatcher.on(OrderPlaced, async (event) => {
  process.kill(process.pid, 'SIGTERM'); // the orchestrator stops the pod in the middle of this handler
  await new Promise((resolve) => setTimeout(resolve, 50));
  console.log(`handled ${event.orderId}, then acked`);
});
const billing = new Bridge({ dispatcher, transport, appId: 'billing' });
billing.consume({
  queue: 'billing.orders',
  bindingKeys: ['order.placed'],
  events: { 'order.placed': OrderPlaced },
});
await billing.start();

// #region sigterm
process.once('SIGTERM', () => {
  void (async () => {
    await relay.stop(); // an OutboxRelay finishes its batch and gives its leases back
    await billing.close(); // no new deliveries; running handlers finish and are acked
    await transport.close(); // channels close after the broker has taken those acks; pending confirms settle
    console.log('stopped cleanly');
    process.exit(0);
  })();
});
// #endregion

await new Publisher(transport, { appId: 'shop' }).send({ orderId: 'o-1' }, 'order.placed');
