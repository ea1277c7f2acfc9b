// AmqpConsumer.cancel() against a scripted amqplib channel: between basic.cancel and basic.cancel-ok the
// broker may still deliver messages it dispatched before it saw the cancel. The channel must stay open
// until cancel-ok, so those deliveries are handled and acked too; closing it earlier (as soon as the
// handlers running at the cancel had settled) made RabbitMQ requeue them, redelivered, after a handler
// may already have run: the next consumer handled them a second time (reliability scenario 6).
import type { Channel, ConsumeMessage } from 'amqplib';
import { expect, it } from 'vitest';
import { AmqpConsumer } from '../../src/adapters/rabbitmq/amqp-consumer.js';
import type { Delivery } from '../../src/messaging/transport.js';

/** The calls a consumer makes on its channel, in order; `cancel` resolves when the test says so. */
function scriptedChannel() {
  const calls: string[] = [];
  let deliver!: (message: ConsumeMessage) => void;
  let cancelOk!: () => void;
  const channel = {
    prefetch: async () => {},
    consume: async (_queue: string, onMessage: (message: ConsumeMessage | null) => void) => {
      deliver = onMessage;
      return { consumerTag: 'ctag-1' };
    },
    cancel: (tag: string) => {
      calls.push(`cancel ${tag}`);
      return new Promise<void>((resolve) => (cancelOk = resolve));
    },
    ack: (message: ConsumeMessage) => void calls.push(`ack ${message.fields.deliveryTag}`),
    nack: (message: ConsumeMessage) => void calls.push(`nack ${message.fields.deliveryTag}`),
    close: async () => void calls.push('close'),
  };
  const message = (deliveryTag: number) =>
    ({
      content: Buffer.from('{}'),
      fields: { deliveryTag, redelivered: false, exchange: 'x', routingKey: 'k', consumerTag: 'ctag-1' },
      properties: { headers: {} },
    }) as unknown as ConsumeMessage;
  return {
    channel: channel as unknown as Channel,
    calls,
    deliver: (deliveryTag: number) => deliver(message(deliveryTag)),
    cancelOk: () => cancelOk(),
  };
}

const turns = async (count = 5) => {
  for (let turn = 0; turn < count; turn++) await new Promise((resolve) => setImmediate(resolve));
};

it('keeps the channel open until cancel-ok: a delivery that arrives meanwhile is handled and acked', async () => {
  const scripted = scriptedChannel();
  const release = new Map<number, () => void>();
  const handled: number[] = [];
  const consumer = new AmqpConsumer(
    'q',
    10,
    async (delivery: Delivery) => {
      const tag = handled.length + 1; // deliveries arrive in tag order
      handled.push(tag);
      await new Promise<void>((resolve) => release.set(tag, resolve));
      delivery.ack();
    },
    () => {},
    () => {},
  );
  await consumer.attach(scripted.channel);

  scripted.deliver(1);
  const cancelled = consumer.cancel(); // basic.cancel sent; cancel-ok not yet received
  release.get(1)!(); // the handler running at the cancel settles: nothing unsettled for a moment
  await turns();
  scripted.deliver(2); // dispatched by the broker before it processed basic.cancel
  await turns();
  scripted.cancelOk(); // from here on, nothing more is delivered
  await turns();
  release.get(2)!();
  await cancelled;

  expect(handled).toEqual([1, 2]);
  expect(scripted.calls).toEqual(['cancel ctag-1', 'ack 1', 'ack 2', 'close']);
});

it('after cancel-ok, closes the channel once the last running handler has settled', async () => {
  const scripted = scriptedChannel();
  let release!: () => void;
  const consumer = new AmqpConsumer(
    'q',
    10,
    async (delivery: Delivery) => {
      await new Promise<void>((resolve) => (release = resolve));
      delivery.ack();
    },
    () => {},
    () => {},
  );
  await consumer.attach(scripted.channel);
  scripted.deliver(1);
  const cancelled = consumer.cancel();
  scripted.cancelOk();
  await turns();
  expect(scripted.calls).toEqual(['cancel ctag-1']); // the handler still runs: its ack must get out
  release();
  await cancelled;
  expect(scripted.calls).toEqual(['cancel ctag-1', 'ack 1', 'close']);
});
