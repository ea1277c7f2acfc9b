// 3. End-to-end latency, one message at a time: a confirmed, persistent 200-byte JSON message is
// published to the topic exchange and consumed from the bound queue (prefetch 100) by a consumer on the
// same connection, in the case's process; the next message is published once the handler has started
// and the publish is confirmed, so exactly one message is in flight. Measured: time from the publish call
// to the start of the handler; p50 and p99 over the messages after the warm-up ones.
import { acmChannel, acmConnection, loadTidings, rawConnection, tidingsTransport } from './clients.js';
import {
  jsonBody,
  jsonPayload,
  persistent,
  PREFETCH,
  tidingsEnvelope,
  describeError,
  quantile,
  withTimeout,
  type Case,
  type Done,
  type Latency,
  type Scenario,
} from './harness.js';
import { latencyGoal } from './goals.js';

interface Setup {
  readonly exchange: string;
  readonly appId: string;
  readonly queues: Readonly<Record<string, string>>;
  /** Messages sent before the measured ones. */
  readonly warmCount: number;
  readonly count: number;
}

const CONSUMER = 'tidings Publisher.send → Consumer';
const TRANSPORT = 'tidings AmqpTransport.publish → consume';
const RAW = 'amqplib confirm publish → consume';
const RAW_ENVELOPE = 'amqplib + the same envelope and JSON parse';
const ACM = 'amqp-connection-manager publish → consume';

interface Pair {
  /** Publishes message `seq`; `confirmed` is called with its confirm. */
  send(seq: number, confirmed: Done): void;
  close(): Promise<void>;
}

/** Sends the messages one at a time through what `setUp` builds; the handler calls `received(seq)`. */
async function measure(
  setup: Setup,
  label: string,
  setUp: (queue: string, routingKey: string, received: (seq: number) => void) => Promise<Pair>,
): Promise<Latency> {
  const queue = setup.queues[label]!;
  const routingKey = `${setup.exchange}.${queue.slice(queue.lastIndexOf('.') + 1)}`;
  const total = setup.warmCount + setup.count;
  const latencies = new Float64Array(total);
  let sentAt = 0;
  let expected = -1;
  let arrived: (() => void) | undefined;
  const pair = await setUp(queue, routingKey, (seq) => {
    if (seq !== expected) return; // not this run's (cannot happen: the queue is fresh)
    latencies[seq] = performance.now() - sentAt;
    arrived?.();
  });
  try {
    for (let seq = 0; seq < total; seq++) {
      const received = new Promise<void>((resolve) => (arrived = resolve));
      const confirmed = new Promise<void>((resolve, reject) => {
        expected = seq;
        sentAt = performance.now();
        pair.send(seq, (error) =>
          error === undefined || error === null ? resolve() : reject(new Error(describeError(error))),
        );
      });
      await withTimeout(Promise.all([received, confirmed]), 10_000, () => `message ${seq} lost`);
    }
    const measured = Array.from(latencies.subarray(setup.warmCount));
    return { p50: quantile(measured, 0.5), p99: quantile(measured, 0.99) };
  } finally {
    await pair.close();
  }
}

/**
 * Raw amqplib on one connection: a confirm channel publishing, a channel consuming. With `envelope`, a
 * reference, not a peer: it also does per message what Publisher.send and Consumer do besides moving it:
 * the JSON encoding and tidings' envelope on the way out, the JSON parse on the way in.
 */
function rawCase(label: string, envelope: boolean): Case<Setup> {
  return {
    label,
    library: 'amqplib',
    ...(envelope ? { reference: true } : {}),
    once: (setup) =>
      measure(setup, label, async (queue, routingKey, received) => {
        const connection = await rawConnection(`bench-latency-amqplib${envelope ? '-envelope' : ''}`);
        const publishing = await connection.createConfirmChannel();
        const consuming = await connection.createChannel();
        await consuming.prefetch(PREFETCH);
        await consuming.consume(
          queue,
          (message) => {
            if (message === null) return;
            received(
              envelope
                ? (JSON.parse(message.content.toString('utf8')) as { seq: number }).seq
                : Number(message.properties.messageId),
            );
            consuming.ack(message);
          },
          { noAck: false },
        );
        return {
          send: (seq, confirmed) => {
            if (envelope) {
              const body = Buffer.from(JSON.stringify(jsonPayload(seq)));
              publishing.publish(setup.exchange, routingKey, body, tidingsEnvelope(routingKey), confirmed);
            } else {
              publishing.publish(
                setup.exchange,
                routingKey,
                jsonBody(seq),
                persistent(String(seq)),
                confirmed,
              );
            }
          },
          close: async () => {
            await consuming.close();
            await publishing.close();
            await connection.close();
          },
        };
      }),
  };
}

const cases: Case<Setup>[] = [
  {
    label: CONSUMER,
    library: 'tidings',
    once: (setup) =>
      measure(setup, CONSUMER, async (queue, routingKey, received) => {
        const { Consumer, Publisher } = await loadTidings();
        const transport = await tidingsTransport('bench-latency-tidings');
        const consumer = new Consumer(transport, {
          queue,
          bindingKeys: [routingKey],
          appId: setup.appId,
          prefetch: PREFETCH,
        });
        await consumer.consume(({ messageId }) => received(Number(messageId)));
        const publisher = new Publisher(transport, { appId: 'bench' });
        return {
          send: (seq, confirmed) => {
            publisher
              .send(jsonPayload(seq), routingKey, { messageId: String(seq) })
              .then(() => confirmed(), confirmed);
          },
          close: async () => {
            await consumer.close();
            await transport.close();
          },
        };
      }),
  },
  {
    label: TRANSPORT,
    library: 'tidings',
    once: (setup) =>
      measure(setup, TRANSPORT, async (queue, routingKey, received) => {
        const transport = await tidingsTransport('bench-latency-transport');
        await transport.consume(
          queue,
          async (delivery) => {
            received(Number(delivery.properties.messageId));
            delivery.ack();
          },
          { prefetch: PREFETCH },
        );
        return {
          send: (seq, confirmed) => {
            transport
              .publish({
                exchange: setup.exchange,
                routingKey,
                content: jsonBody(seq),
                properties: { contentType: 'application/json', messageId: String(seq) },
              })
              .then(() => confirmed(), confirmed);
          },
          close: () => transport.close(),
        };
      }),
  },
  rawCase(RAW, false),
  rawCase(RAW_ENVELOPE, true),
  {
    label: ACM,
    library: 'acm',
    once: (setup) =>
      measure(setup, ACM, async (queue, routingKey, received) => {
        const connection = await acmConnection('bench-latency-acm');
        const publishing = await acmChannel(connection, 'publish');
        const consuming = await acmChannel(connection, 'consume', undefined, false);
        await consuming.consume(
          queue,
          (message) => {
            received(Number(message.properties.messageId));
            consuming.ack(message);
          },
          { prefetch: PREFETCH, noAck: false },
        );
        return {
          send: (seq, confirmed) => {
            publishing
              .publish(setup.exchange, routingKey, jsonBody(seq), persistent(String(seq)))
              .then(() => confirmed(), confirmed);
          },
          close: async () => {
            await consuming.close();
            await publishing.close();
            await connection.close();
          },
        };
      }),
  },
];

export const scenario: Scenario<Setup> = {
  id: 'latency',
  cases,
  async prepare({ names, admin, quick }) {
    const { waitQueueName } = await loadTidings();
    const warmCount = quick ? 100 : 300;
    const count = quick ? 300 : 2000;
    const rounds = quick ? 1 : 5;
    const exchange = names.exchange;
    const appId = names.appId;
    await admin.exchange(exchange);
    const queues: Record<string, string> = {};
    for (const [index, testCase] of cases.entries()) {
      const suffix = `latency-${index}-${testCase.library}`;
      const queue = names.queue(suffix);
      queues[testCase.label] = queue;
      if (testCase.label === CONSUMER) {
        // The Consumer declares its queue, binding and wait queues itself.
        for (const delay of [1000, 10_000, 60_000]) names.queue(waitQueueName(suffix, delay));
        continue;
      }
      await admin.queue(queue);
      await admin.bind(queue, exchange, `${exchange}.${suffix}`);
    }
    return {
      setup: { exchange, appId, queues, warmCount, count },
      rounds,
      discardFirst: false,
      report: {
        title:
          'End-to-end latency, publish → handler, one message at a time (confirmed, persistent, 200 bytes)',
        notes: [
          '"amqplib + the same envelope and JSON parse": raw amqplib publishing tidings\' envelope (UUID id, type, appId, timestamp, x-tidings-origin) and parsing the JSON body before its handler: a reference, not a peer',
          `the next message is published once the handler started and the publish is confirmed; ${warmCount} warm-up messages, then ${count.toLocaleString('en-US')} measured per repetition; each repetition in a fresh process on a fresh connection; ${rounds} repetitions, interleaved; p50/p99 columns = median over the repetitions, ratios paired by round`,
        ],
        unit: 'ms',
        goals: [
          latencyGoal(CONSUMER, RAW, 'p50', 1.05),
          latencyGoal(CONSUMER, RAW, 'p99', 1.05),
          latencyGoal(CONSUMER, RAW_ENVELOPE, 'p50'),
          latencyGoal(CONSUMER, RAW_ENVELOPE, 'p99'),
        ],
      },
    };
  },
};
