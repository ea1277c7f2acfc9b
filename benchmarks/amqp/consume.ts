// 2. Consuming and acking with prefetch 100. Before each round the harness fills every case's queue
// with the same 15,000 persistent 200-byte JSON messages (one publish per message to a fanout exchange
// bound to all the queues); each case then opens a fresh connection and consumes its queue.
// Measured: acks per second from the 1,500th to the 15,000th message (the first 1,500 are the warm-up).
// Consumption speed is bimodal on this machine (fixed per connection, for every client), so each case
// is repeated 15 times and the table shows the range and both modes.
import { tidings } from './tidings.js';
import { rascalBroker, rawConnection, tidingsTransport } from './clients.js';
import {
  between,
  Completions,
  MachineMonitor,
  newRow,
  PREFETCH,
  repeatRounds,
  selected,
  type Goal,
  type Throughput,
  type RunContext,
  type Scenario,
  type ScenarioResult,
} from './harness.js';
import { withinRangeGoal } from './report.js';

const { Consumer, waitQueueName } = tidings;
const TRANSPORT = 'tidings AmqpTransport.consume (raw delivery, ack)';
const SUBSCRIBER = 'tidings Consumer (JSON + counter + ack)';
const RAW = 'amqplib consume + ack';
const RASCAL = 'Rascal subscription (JSON, ackOrNack)';

export const scenario: Scenario = {
  id: 'consume',
  async run(context: RunContext): Promise<ScenarioResult> {
    const { names, admin } = context;
    const total = context.quick ? 5000 : 15_000;
    const warmup = context.quick ? 1000 : 1500;
    const rounds = context.quick ? 1 : 15;
    const timeoutMs = 60_000;
    let round = 0;
    // The warm-up round only warms the JIT: a shorter run does.
    const size = (warm: boolean) => (warm ? { n: total / 4, skip: warmup / 4 } : { n: total, skip: warmup });

    /** Runs `consume` (which resolves with its closer) on the filled `queue`, times the 1,500th to the last ack. */
    async function measure(
      queue: string,
      warm: boolean,
      consume: (completions: Completions) => Promise<() => Promise<void>>,
    ): Promise<Throughput> {
      const { n, skip } = size(warm);
      const ready = await admin.messageCount(queue);
      if (ready !== n) throw new Error(`${queue} holds ${ready} messages instead of ${n}`);
      const completions = new Completions();
      const close = await consume(completions);
      try {
        const start = await completions.at(skip, timeoutMs, queue);
        const end = await completions.at(n, timeoutMs, queue);
        return between(start, end, n - skip);
      } finally {
        await close();
      }
    }

    const exchange = names.exchange;
    const appId = names.appId;
    const transportQueue = names.queue('consume-transport');
    const subscriberQueue = names.queue('consume-consumer');
    const rawQueue = names.queue('consume-amqplib');
    const rascalQueue = names.queue('consume-rascal');
    // The Consumer declares its queue with the dead-letter exchange, and wait queues for its default delays.
    const subscriberArgs = { 'x-dead-letter-exchange': `${appId}.dead-letter` };
    for (const delay of [1000, 10_000, 60_000]) names.queue(waitQueueName('consume-consumer', delay));
    // One publish fills every case's queue: a fanout exchange bound to all of them.
    const fill = names.otherExchange('consume-fill');
    await admin.exchange(exchange);
    await admin.exchange(fill, 'fanout');
    for (const queue of [transportQueue, rawQueue, rascalQueue]) await admin.queue(queue);
    await admin.queue(subscriberQueue, subscriberArgs);

    const cases = selected(
      [
        {
          queue: transportQueue,
          row: newRow(TRANSPORT, 'tidings'),
          once: (warm: boolean) =>
            measure(transportQueue, warm, async (completions) => {
              const transport = await tidingsTransport('bench-consume-tidings');
              await transport.consume(
                transportQueue,
                async (delivery) => {
                  delivery.ack();
                  completions.done();
                },
                { prefetch: PREFETCH },
              );
              return () => transport.close();
            }),
        },
        {
          queue: subscriberQueue,
          row: newRow(SUBSCRIBER, 'tidings'),
          once: (warm: boolean) =>
            measure(subscriberQueue, warm, async (completions) => {
              const transport = await tidingsTransport('bench-consume-consumer');
              const consumer = new Consumer(transport, {
                queue: subscriberQueue,
                bindingKeys: [`${exchange}.consume-consumer`],
                appId,
                prefetch: PREFETCH,
              });
              consumer.on('settled', (outcome) => {
                if (outcome.outcome === 'acked') completions.done();
              });
              await consumer.consume(() => {});
              return async () => {
                await consumer.close();
                await transport.close();
              };
            }),
        },
        {
          queue: rawQueue,
          row: newRow(RAW, 'amqplib'),
          once: (warm: boolean) =>
            measure(rawQueue, warm, async (completions) => {
              const connection = await rawConnection('bench-consume-amqplib');
              const channel = await connection.createChannel();
              await channel.prefetch(PREFETCH);
              await channel.consume(
                rawQueue,
                (message) => {
                  if (message === null) return;
                  channel.ack(message);
                  completions.done();
                },
                { noAck: false },
              );
              return async () => {
                await channel.close();
                await connection.close();
              };
            }),
        },
        {
          queue: rascalQueue,
          row: newRow(RASCAL, 'rascal'),
          once: (warm: boolean) =>
            measure(rascalQueue, warm, async (completions) => {
              const broker = await rascalBroker({
                queues: { [rascalQueue]: {} },
                subscriptions: { bench: { queue: rascalQueue } },
              });
              const subscription = await broker.subscribe('bench');
              subscription.on('error', () => {});
              subscription.on('message', (_message, _content, ackOrNack: () => void) => {
                ackOrNack();
                completions.done();
              });
              return () => broker.shutdown();
            }),
        },
      ],
      context.filter,
    );

    const monitor = new MachineMonitor();
    monitor.begin();
    for (const testCase of cases) await admin.bind(testCase.queue, fill, '');
    await repeatRounds(rounds + 1, cases, context, {
      discardFirst: true,
      async beforeRound(warm) {
        for (const testCase of cases) await admin.purge(testCase.queue);
        await admin.fill({ exchange: fill }, size(warm).n, `c${round++}-`);
      },
    });
    const goals: Goal[] = [withinRangeGoal(TRANSPORT, RAW), withinRangeGoal(SUBSCRIBER, RAW)];
    return {
      id: 'consume',
      title: `Consume and ack, prefetch ${PREFETCH}: queue pre-filled with ${total.toLocaleString('en-US')} persistent 200-byte messages`,
      notes: [
        `acks/s from message ${warmup.toLocaleString('en-US')} to ${total.toLocaleString('en-US')}; fresh connection per repetition; ${rounds} repetitions after a discarded warm-up round; cases interleaved, one fanout publish fills all their queues per round`,
        'Consumer: JSON decode + MemoryRepeatCounter increment/forget + ack; Rascal parses the JSON too',
      ],
      unit: 'msgs/s',
      amqplibBaseline: RAW,
      rascalBaseline: RASCAL,
      showModes: true,
      rows: cases.map((testCase) => testCase.row),
      goals,
      machine: monitor.end(),
    };
  },
};
