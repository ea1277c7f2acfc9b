// On RabbitMQ: a message no copy of which can ever be published is not retried forever (its original
// unacked, holding a prefetch slot, an `error` every 5 s): it ends in the dead-letter queue. And the
// header size check measures headers as a copy writes them (typed), not as a handler sees them.
// (A foreign `deliveryMode` of 0 or 3 cannot be sent to RabbitMQ at all: it closes the publisher's
// channel, PRECONDITION_FAILED delivery_mode_unknown; that case is covered on the memory transport.)
import { randomUUID } from 'node:crypto';
import amqplib, { type ChannelModel, type ConfirmChannel, type Options } from 'amqplib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HEADERS, NonRetryableError, Consumer, type SettledOutcome } from '../../src/index.js';
import { AmqpTransport } from '../../src/rabbitmq.js';
import { waitFor } from '../bridge/bridge-scenarios.js';
import { deleteDeclared, mergeNames, subscriberNames } from '../helpers/declared-names.js';
import { AMQP_URL } from './servers.js';

const id = `copy-refusal-${randomUUID().slice(0, 8)}`;
const appId = `${id}-app`;
const transport = new AmqpTransport({ url: AMQP_URL });
let raw: { connection: ChannelModel; channel: ConfirmChannel } | undefined;
const subscribers: Consumer[] = [];
/** Each test's own queue and routing key (`<id>.<name>`), and the common dead-letter queue. */
const names = (name: string) => ({
  queue: `${id}.${name}`,
  bindingKeys: [`${id}.${name}`],
  appId,
  repeatDelaysMs: [0],
});

beforeAll(async () => {
  const connection = await amqplib.connect(AMQP_URL);
  raw = { connection, channel: await connection.createConfirmChannel() };
});

afterAll(async () => {
  for (const subscriber of subscribers) await subscriber.close();
  await raw?.channel.close().catch(() => {});
  await raw?.connection.close().catch(() => {});
  await deleteDeclared(
    transport,
    mergeNames(subscriberNames(names('long-id')), subscriberNames(names('int64'))),
  );
  await transport.close();
});

/** Publishes as another client would: a bare amqplib channel, no message id added, nothing checked. */
function publishRaw(name: string, content: string, options: Options.Publish): Promise<void> {
  return new Promise((resolve, reject) => {
    raw!.channel.publish(id, `${id}.${name}`, Buffer.from(content), options, (error: unknown) =>
      error ? reject(error instanceof Error ? error : new Error('nacked')) : resolve(),
    );
  });
}

async function subscribe(name: string, handler: () => unknown, maxHeaderBytes?: number) {
  const subscriber = new Consumer(transport, {
    ...names(name),
    maxAttempts: 3,
    ...(maxHeaderBytes === undefined ? {} : { maxHeaderBytes }),
  });
  subscribers.push(subscriber);
  const settled: SettledOutcome[] = [];
  const errors: Error[] = [];
  subscriber.on('settled', (outcome) => settled.push(outcome));
  subscriber.on('error', (error) => errors.push(error));
  await subscriber.consume(handler);
  return { subscriber, settled, errors };
}

it('rejects to the dead-letter queue a message whose id fits in no message-id property', async () => {
  // No messageId property, an event_id of 300 bytes: every copy (dead letter, or the bare one made when
  // that is refused) is refused by the transport, so the original is rejected to the queue's DLX.
  let runs = 0;
  const { settled, errors } = await subscribe('long-id', () => {
    runs++;
    throw new NonRetryableError('no');
  });
  const eventId = 'e'.repeat(300);
  await publishRaw('long-id', JSON.stringify({ event_id: eventId }), { contentType: 'application/json' });
  await waitFor(() => settled.length >= 1, 10_000, 'the message to be settled');
  expect(settled).toEqual([
    expect.objectContaining({ outcome: 'dead-lettered', reason: 'invalid-content', messageId: eventId }),
  ]);
  expect(errors).toEqual([]);
  expect(runs).toBe(1);
  const deadLetter = await waitFor(() => transport.get(`${appId}.dead-letters`), 5000, 'the dead letter');
  deadLetter.ack();
  expect(JSON.parse(deadLetter.content.toString())).toEqual({ event_id: eventId });
  // The broker's own dead letter, with its reason.
  expect(deadLetter.properties.headers['x-first-death-reason']).toBe('rejected');
  expect(await transport.queueStats(`${id}.long-id`)).toMatchObject({ messageCount: 0 });
});

it('measures headers as their copy would carry them: 64-bit integers take 9 bytes', async () => {
  let runs = 0;
  const { settled, errors } = await subscribe(
    'int64',
    () => {
      runs++;
      throw new Error('handler failed');
    },
    1000,
  );
  // 100 int64 headers: 1,404 bytes on the wire and in any copy, 704 as plain numbers.
  const headers: Record<string, unknown> = {};
  for (let i = 0; i < 100; i++) headers[`k${String(i).padStart(3, '0')}`] = { '!': 'int64', value: 5 };
  await publishRaw('int64', '{"n":1}', { contentType: 'application/json', messageId: `${id}-m`, headers });
  await waitFor(() => settled.length >= 1, 10_000, 'the message to be settled');
  expect(settled).toEqual([
    expect.objectContaining({ outcome: 'dead-lettered', reason: 'invalid-content', attempt: 1 }),
  ]);
  expect(runs).toBe(0);
  expect(errors).toEqual([]);
  const deadLetter = await waitFor(() => transport.get(`${appId}.dead-letters`), 5000, 'the dead letter');
  deadLetter.ack();
  expect(deadLetter.properties.headers[HEADERS.errorMessage]).toBe(
    'The headers encode to 1404 bytes; the limit is 1000 (maxHeaderBytes)',
  );
  expect(deadLetter.properties.headers[HEADERS.droppedHeadersBytes]).toBe(1404);
  expect(deadLetter.properties.headers['k000']).toBeUndefined();
});
