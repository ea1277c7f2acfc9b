// The low-level API, close to the seed PHP library's: send a payload to a routing key, subscribe a queue
// to routes with a handler. On the memory transport here; the same code runs on an AmqpTransport.
import { MemoryTransport, Publisher, Consumer } from 'tidings';

const transport = new MemoryTransport();

// #region consume
const consumer = new Consumer(transport, {
  queue: 'billing.documents',
  bindingKeys: ['document.created', 'document.*'],
  appId: 'billing',
  repeatDelaysMs: [10],
});
consumer.on('settled', (s) => console.log(`${s.outcome}: attempt ${s.attempt} of ${s.messageId}`));
await consumer.consume(async ({ payload, headers, properties, routingKey, attempt }) => {
  if (attempt === 1) throw new Error('try again'); // throw: repeated, at last dead-lettered; return: acked
  console.log(routingKey, payload, headers['span_id'], properties.correlationId, `attempt ${attempt}`);
});
// #endregion

// #region send
const publisher = new Publisher(transport, { appId: 'documents' });
const done = new Promise((resolve) => consumer.once('settled', () => consumer.once('settled', resolve)));
const { messageId } = await publisher.send({ event_id: 11995, name: 'docx' }, 'document.created', {
  headers: { span_id: 'a1' },
  correlationId: 'req-7',
}); // resolves once the broker confirmed it
console.log(`sent ${messageId}`);
await done;
// #endregion

await consumer.close();
await transport.close();
