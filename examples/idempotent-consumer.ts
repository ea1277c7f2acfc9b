// Delivery is at least once: a consumer that changes state records which message ids it has processed,
// in the same transaction as its writes. The same message delivered twice is applied once.
import { idempotent, InMemoryUnitOfWork, MemoryInbox, MemoryTransport, Publisher, Consumer } from 'tidings';

const transport = new MemoryTransport();
const unitOfWork = new InMemoryUnitOfWork();
const consumer = new Consumer(transport, { queue: 'billing.invoices', bindingKeys: ['order.placed'] });
let invoices = 0;
const settled = new Promise((resolve) => consumer.once('settled', () => consumer.once('settled', resolve)));

// #region idempotent
await consumer.consume(
  idempotent({ inbox: new MemoryInbox(), unitOfWork, consumer: 'billing' }, async ({ payload }, tx) => {
    tx.onCommit(() => void invoices++); // your writes with tx; a duplicate never gets here
    console.log(`invoice for ${(payload as { orderId: string }).orderId}`);
  }),
);
// #endregion

// The same message twice (a relay that died between the confirm and marking its row sends it again).
const publisher = new Publisher(transport, { appId: 'shop' });
await publisher.send({ orderId: 'o-1' }, 'order.placed', { messageId: 'row-42' });
await publisher.send({ orderId: 'o-1' }, 'order.placed', { messageId: 'row-42' });
await settled;
console.log(`${invoices} invoice(s)`);

await consumer.close();
await transport.close();
