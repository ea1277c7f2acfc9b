// 3. End-to-end latency at a steady, moderate rate: 2,000 msgs/s published (confirmed, persistent,
// 200-byte JSON) to the topic exchange, consumed with prefetch 100 from the bound queue, publisher and
// consumer on one connection in this process. Measured: time from the publish call to the start of the
// handler, per message; p50 and p99 over the messages after a 1 s warm-up.
import { tidings } from './tidings.js';
import { rawConnection, tidingsTransport } from './clients.js';
import {
  Completions,
  jsonBody,
  jsonPayload,
  MachineMonitor,
  newRow,
  persistent,
  PREFETCH,
  quantile,
  repeatRounds,
  selected,
  type Done,
  type RunContext,
  type Scenario,
  type ScenarioResult,
} from './harness.js';

const { Publisher, Consumer, waitQueueName } = tidings;
const SUBSCRIBER = 'tidings Publisher.send → Consumer';
const TRANSPORT = 'tidings AmqpTransport.publish → consume';
const RAW = 'amqplib confirm publish → consume';

export const scenario: Scenario = {
  id: 'latency',
  async run(context: RunContext): Promise<ScenarioResult> {
    const { names, admin } = context;
    const rate = 2000;
    const warmupMs = context.quick ? 300 : 1000;
    const measureMs = context.quick ? 700 : 3000;
    const rounds = context.quick ? 1 : 3;
    const count = Math.round(((warmupMs + measureMs) * rate) / 1000);
    const warmCount = Math.round((warmupMs * rate) / 1000);
    const exchange = names.exchange;
    const appId = names.appId;
    const subscriberQueue = names.queue('latency-consumer');
    for (const delay of [1000, 10_000, 60_000]) names.queue(waitQueueName('latency-consumer', delay));
    const transportQueue = names.queue('latency-transport');
    const rawQueue = names.queue('latency-amqplib');
    await admin.exchange(exchange);
    for (const queue of [transportQueue, rawQueue]) {
      await admin.queue(queue);
      await admin.bind(queue, exchange, `${exchange}.${queue.slice(queue.lastIndexOf('.') + 1)}`);
    }

    /** Publishes `count` messages at `rate`/s with `send(seq)`; `received(seq)` is called by the handler. */
    async function measure(
      setUp: (
        received: (seq: number) => void,
      ) => Promise<{ send: (seq: number, confirmed: Done) => void; close: () => Promise<void> }>,
    ): Promise<{ p50: number; p99: number }> {
      const sentAt = new Float64Array(count);
      const latencies = new Float64Array(count);
      const completions = new Completions();
      const confirms = new Completions();
      let failures = 0;
      const confirmed: Done = (error) => {
        if (error !== undefined && error !== null) failures++;
        confirms.done();
      };
      const { send, close } = await setUp((seq) => {
        latencies[seq] = performance.now() - sentAt[seq]!;
        completions.done();
      });
      try {
        await new Promise<void>((resolve) => {
          const t0 = performance.now();
          let sent = 0;
          const timer = setInterval(() => {
            const due = Math.min(count, Math.floor(((performance.now() - t0) * rate) / 1000));
            while (sent < due) {
              sentAt[sent] = performance.now();
              send(sent++, confirmed);
            }
            if (sent >= count) {
              clearInterval(timer);
              resolve();
            }
          }, 1);
        });
        await completions.at(count, 30_000, 'latency');
        await confirms.at(count, 30_000, 'latency confirms');
        if (failures > 0) throw new Error(`${failures} publishes failed`);
        const measured = Array.from(latencies.subarray(warmCount));
        return { p50: quantile(measured, 0.5), p99: quantile(measured, 0.99) };
      } finally {
        await close();
      }
    }

    const cases = selected(
      [
        {
          row: newRow(SUBSCRIBER, 'tidings', true),
          once: () =>
            measure(async (received) => {
              const transport = await tidingsTransport('bench-latency-tidings');
              const routingKey = `${exchange}.latency-consumer`;
              const consumer = new Consumer(transport, {
                queue: subscriberQueue,
                bindingKeys: [routingKey],
                appId,
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
          row: newRow(TRANSPORT, 'tidings', true),
          once: () =>
            measure(async (received) => {
              const transport = await tidingsTransport('bench-latency-transport');
              const routingKey = `${exchange}.latency-transport`;
              await transport.consume(
                transportQueue,
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
                      exchange,
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
        {
          row: newRow(RAW, 'amqplib', true),
          once: () =>
            measure(async (received) => {
              const connection = await rawConnection('bench-latency-amqplib');
              const routingKey = `${exchange}.latency-amqplib`;
              const publishing = await connection.createConfirmChannel();
              const consuming = await connection.createChannel();
              await consuming.prefetch(PREFETCH);
              await consuming.consume(
                rawQueue,
                (message) => {
                  if (message === null) return;
                  received(Number(message.properties.messageId));
                  consuming.ack(message);
                },
                { noAck: false },
              );
              return {
                send: (seq, confirmed) => {
                  publishing.publish(exchange, routingKey, jsonBody(seq), persistent(String(seq)), confirmed);
                },
                close: async () => {
                  await consuming.close();
                  await publishing.close();
                  await connection.close();
                },
              };
            }),
        },
      ],
      context.filter,
    );

    const monitor = new MachineMonitor();
    monitor.begin();
    await repeatRounds(rounds, cases, context, { discardFirst: false });
    return {
      id: 'latency',
      title: `End-to-end latency, publish → handler, at ${rate.toLocaleString('en-US')} msgs/s (confirmed, persistent, 200 bytes)`,
      notes: [
        `${warmupMs} ms warm-up, then ${measureMs} ms (${((measureMs * rate) / 1000).toLocaleString('en-US')} messages) measured per repetition; fresh connection each; ${rounds} repetitions, interleaved; p50/p99 columns = median over the repetitions`,
      ],
      unit: 'ms',
      amqplibBaseline: RAW,
      rows: cases.map((testCase) => testCase.row),
      goals: [],
      machine: monitor.end(),
    };
  },
};
