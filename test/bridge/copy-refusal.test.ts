// A copy (repeat, dead letter) the transport refuses as such can never be published: it is not retried
// (that held the original, and a prefetch slot, forever, with an `error` every 5 s). The message is
// dead-lettered as invalid-content without its headers instead, or, when even that is refused, rejected
// to its queue's dead-letter exchange. And what a foreign publisher sent that a copy cannot carry (a
// `deliveryMode` of 3) is normalised, so the copy goes out.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { publishUntilConfirmed } from '../../src/messaging/consumer/copy-retry.js';
import {
  HEADERS,
  HeadersTooLargeError,
  InvalidArgumentError,
  MemoryBroker,
  MemoryTransport,
  NonRetryableError,
  PublishNackedError,
  Consumer,
  type ConsumeOptions,
  type Delivery,
  type DeliveryHandler,
  type OutgoingMessage,
  type PublishOptions,
  type SettledOutcome,
} from '../../src/index.js';
import { waitFor } from './bridge-scenarios.js';

describe('publishUntilConfirmed', () => {
  it.each([
    ['InvalidArgumentError', new InvalidArgumentError('publish: deliveryMode must be 1 or 2, got 3')],
    ['HeadersTooLargeError', new HeadersTooLargeError('m-1', 70_000, 65_536)],
  ])('does not try again after an %s: it returns it as refused', async (_name, refusal) => {
    let attempts = 0;
    const failures: unknown[] = [];
    const result = await publishUntilConfirmed(
      () => {
        attempts++;
        return Promise.reject(refusal);
      },
      new AbortController().signal,
      (error) => failures.push(error),
    );
    expect(result).toEqual({ refused: refusal });
    expect(attempts).toBe(1);
    expect(failures).toEqual([]);
  });

  it('tries again after other errors, until published', async () => {
    let attempts = 0;
    const failures: unknown[] = [];
    const result = await publishUntilConfirmed(
      () => (++attempts < 3 ? Promise.reject(new PublishNackedError('x', 'x.y', 'm-1')) : Promise.resolve()),
      new AbortController().signal,
      (error) => failures.push(error),
    );
    expect(result).toBe('published');
    expect(attempts).toBe(3);
    expect(failures).toHaveLength(2);
  });

  it('gives up when the signal aborts', async () => {
    const stop = new AbortController();
    const result = await publishUntilConfirmed(
      () => Promise.reject(new PublishNackedError('x', 'x.y', 'm-1')),
      stop.signal,
      () => stop.abort(),
    );
    expect(result).toBe('stopped');
  });
});

/** Deliveries as a foreign publisher's would arrive: with a `deliveryMode` RabbitMQ passes on as is. */
class ForeignDeliveryMode extends MemoryTransport {
  override consume(queue: string, handler: DeliveryHandler, options: ConsumeOptions) {
    return super.consume(queue, (delivery) => handler(withDeliveryMode(delivery, 3)), options);
  }
}

function withDeliveryMode(delivery: Delivery, deliveryMode: number): Delivery {
  return {
    queue: delivery.queue,
    exchange: delivery.exchange,
    routingKey: delivery.routingKey,
    redelivered: delivery.redelivered,
    content: delivery.content,
    properties: { ...delivery.properties, deliveryMode: deliveryMode as 2 },
    ack: () => delivery.ack(),
    nack: (options) => delivery.nack(options),
  };
}

/** Refuses every repeat (a copy to the default exchange) whose headers carry `big`, as too large. */
class RefusesLargeRepeats extends MemoryTransport {
  readonly refused: OutgoingMessage[] = [];

  override publish(message: OutgoingMessage, options?: PublishOptions): Promise<void> {
    if (message.exchange === '' && message.properties.headers?.['big'] !== undefined) {
      this.refused.push(message);
      return Promise.reject(new HeadersTooLargeError(message.properties.messageId, 70_000, 65_536));
    }
    return super.publish(message, options);
  }
}

const transports: MemoryTransport[] = [];
afterEach(async () => {
  for (const transport of transports.splice(0)) await transport.close();
});

function setUp<T extends MemoryTransport>(transport: T) {
  transports.push(transport);
  const id = `r${randomUUID().slice(0, 8)}`;
  const appId = `${id}-app`;
  const subscriber = new Consumer(transport, {
    appId,
    queue: `${id}.queue`,
    bindingKeys: [`${id}.made`],
    repeatDelaysMs: [0],
    maxAttempts: 3,
  });
  const settled: SettledOutcome[] = [];
  const errors: Error[] = [];
  subscriber.on('settled', (outcome) => settled.push(outcome));
  subscriber.on('error', (error) => errors.push(error));
  const publishRaw = (properties: OutgoingMessage['properties'], content = '{"n":1}') =>
    transport.publish({
      exchange: id,
      routingKey: `${id}.made`,
      content: Buffer.from(content),
      properties: { contentType: 'application/json', ...properties },
    });
  return { transport, id, subscriber, settled, errors, publishRaw, dlq: `${appId}.dead-letters` };
}

it('repeats a message whose foreign publisher gave it deliveryMode 3, as persistent', async () => {
  const { transport, id, subscriber, settled, errors, publishRaw } = setUp(
    new ForeignDeliveryMode({ broker: new MemoryBroker() }),
  );
  const runs: number[] = [];
  await subscriber.consume(({ attempt }) => {
    runs.push(attempt);
    if (attempt === 1) throw new Error('once');
  });
  await publishRaw({ messageId: 'm-1' });
  await waitFor(() => settled.length >= 2, 3000, 'the repeat and its ack');
  expect(settled.map((s) => s.outcome)).toEqual(['repeated', 'acked']);
  expect(runs).toEqual([1, 2]);
  expect(errors).toEqual([]);
  expect(await transport.queueStats(`${id}.queue`)).toMatchObject({ messageCount: 0 });
});

it('dead-letters a message whose repeat the transport refuses for good, without its headers', async () => {
  const { transport, subscriber, settled, errors, publishRaw, dlq } = setUp(
    new RefusesLargeRepeats({ broker: new MemoryBroker() }),
  );
  let runs = 0;
  await subscriber.consume(() => {
    runs++;
    throw new Error('handler failed');
  });
  await publishRaw({ messageId: 'm-1', headers: { big: 'x'.repeat(100), kept: 'no' } });
  await waitFor(() => settled.length >= 1, 3000, 'the message to be settled');
  await new Promise((resolve) => setTimeout(resolve, 300)); // no retry comes
  expect(transport.refused).toHaveLength(1);
  expect(errors).toEqual([]);
  expect(runs).toBe(1);
  expect(settled).toEqual([
    expect.objectContaining({
      outcome: 'dead-lettered',
      reason: 'invalid-content',
      messageId: 'm-1',
      attempt: 1,
      error: expect.objectContaining({
        name: 'InvalidContentError',
        message: expect.stringMatching(/^The repeat of this message cannot be published: The headers of/),
      }),
    }),
  ]);
  const deadLetter = await transport.get(dlq);
  const headers = deadLetter!.properties.headers;
  expect(headers[HEADERS.deadReason]).toBe('invalid-content');
  expect(headers[HEADERS.errorName]).toBe('InvalidContentError');
  expect(headers['big']).toBeUndefined();
  expect(headers['kept']).toBeUndefined();
  expect(headers[HEADERS.droppedHeadersBytes]).toBeGreaterThan(100);
  expect(deadLetter!.properties.messageId).toBe('m-1');
  deadLetter!.ack();
});

it('rejects a message to its queue’s dead-letter exchange when even its bare dead letter is refused', async () => {
  // A message id of 300 bytes (from the body's event_id) fits in no AMQP message-id property: no copy
  // of it can be published at all.
  const { transport, id, subscriber, settled, errors, publishRaw, dlq } = setUp(
    new MemoryTransport({ broker: new MemoryBroker() }),
  );
  let runs = 0;
  await subscriber.consume(() => {
    runs++;
    throw new NonRetryableError('no');
  });
  const eventId = 'e'.repeat(300);
  await publishRaw({}, JSON.stringify({ event_id: eventId }));
  await waitFor(() => settled.length >= 1, 3000, 'the message to be settled');
  await new Promise((resolve) => setTimeout(resolve, 300)); // no retry comes
  expect(errors).toEqual([]);
  expect(runs).toBe(1);
  expect(settled).toEqual([
    expect.objectContaining({
      outcome: 'dead-lettered',
      reason: 'invalid-content',
      messageId: eventId,
      error: expect.objectContaining({
        message: expect.stringMatching(/^The dead letter of this message cannot be published: /),
      }),
    }),
  ]);
  expect(await transport.queueStats(`${id}.queue`)).toMatchObject({ messageCount: 0 });
  // The broker's own dead letter: the original as it was, with the broker's reason.
  const deadLetter = await transport.get(dlq);
  expect(deadLetter!.content.toString()).toBe(JSON.stringify({ event_id: eventId }));
  expect(deadLetter!.properties.headers[HEADERS.deadReason]).toBeUndefined();
  deadLetter!.ack();
});
