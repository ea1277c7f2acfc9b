// Repeats and dead letters on the embedded defaults: what each copy carries, and the dead-letter tools
// (list, replay, purge). The header names printed here are the ones docs/wire-format.md lists.
import { DeadLetters, MemoryTransport, NonRetryableError, Publisher, Consumer } from 'tidings';

const transport = new MemoryTransport();
const publisher = new Publisher(transport, { appId: 'shop' });
const consumer = new Consumer(transport, {
  queue: 'billing.orders',
  bindingKeys: ['order.placed'],
  appId: 'billing',
  maxAttempts: 2,
  repeatDelaysMs: [10],
});
const outcomes: string[] = [];
consumer.on('settled', (settled) => outcomes.push(settled.outcome));
const handled = async (count: number) => {
  while (outcomes.filter((outcome) => outcome !== 'repeated').length < count) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

// #region repeat-headers
let replayed = false;
await consumer.consume(async ({ payload, headers, attempt }) => {
  const { orderId } = payload as { orderId: string };
  if (attempt === 2) console.log(`a repeat carries: ${Object.keys(headers).sort().join(', ')}`);
  if (orderId === 'o-2') throw new NonRetryableError('unknown customer'); // dead-lettered at once
  if (orderId === 'o-1' && !replayed) throw new Error('card declined'); // repeated, then dead-lettered
  console.log(`${orderId} handled`);
});
await publisher.send({ orderId: 'o-1' }, 'order.placed');
await publisher.send({ orderId: 'o-2' }, 'order.placed');
await handled(2);
// #endregion

// #region tools
const deadLetters = new DeadLetters(transport, { appId: 'billing' }); // queue billing.dead-letters
for (const letter of await deadLetters.list({ queue: 'billing.orders' })) {
  console.log(`${letter.reason} after ${letter.attempts} attempt(s): ${letter.error?.message}`);
}
const [exhausted] = await deadLetters.list({ reason: 'repeats-exhausted' });
console.log(
  `a dead letter carries: ${Object.keys(exhausted!.properties.headers ?? {})
    .sort()
    .join(', ')}`,
);

replayed = true; // the card works now
const summary = await deadLetters.replay({ reason: 'repeats-exhausted', ratePerSecond: 100 });
await handled(3);
console.log(summary); // { scanned: 2, replayed: 1, skipped: 1, failed: [], dryRun: false }
console.log(await deadLetters.purge({ reason: 'non-retryable', dryRun: true })); // what purge would remove
console.log(await deadLetters.purge()); // every dead letter
// #endregion

await consumer.close();
await transport.close();
