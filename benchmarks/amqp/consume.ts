// 2. Consuming and acking, at prefetch 100 (`consume`) and 1,000 (`consume-1000`). Before each round
// the parent fills every case's queue with the same 15,000 persistent 200-byte JSON messages (one
// publish per message to a fanout exchange bound to all the queues) and checks each queue holds them
// all; each case's process then opens a fresh connection and consumes its queue.
// Measured: acks per second from the 1,500th to the 15,000th message (the first 1,500 are the warm-up).
// Consumption speed is bimodal on this machine (fixed per connection, for every client), so each case
// is repeated 15 times and the table shows the range and both modes.
import {
  acmChannel,
  acmConnection,
  loadTidings,
  rascalBroker,
  rawConnection,
  tidingsTransport,
} from './clients.js';
import { between, Completions, type Case, type Scenario, type Throughput } from './harness.js';
import { installTracing } from './otel.js';
import { bestPeerGoal, reportedRatio } from './goals.js';

interface Setup {
  readonly prefetch: number;
  readonly exchange: string;
  readonly appId: string;
  /** Each case's queue, by label. */
  readonly queues: Readonly<Record<string, string>>;
  readonly total: number;
  readonly warmup: number;
}

const TRANSPORT = 'tidings AmqpTransport.consume (raw delivery, ack)';
const CONSUMER = 'tidings Consumer (JSON + counter + ack)';
const CONSUMER_OTEL = 'tidings Consumer, OTel SDK';
const RAW = 'amqplib consume + ack';
const RASCAL = 'Rascal subscription (JSON, ackOrNack)';
const ACM = 'amqp-connection-manager consume + ack';
const TIMEOUT_MS = 60_000;

/** The warm-up round only warms up the broker and the machine: a shorter run does. */
function size(setup: Setup, warm: boolean): { n: number; skip: number } {
  return warm ? { n: setup.total / 4, skip: setup.warmup / 4 } : { n: setup.total, skip: setup.warmup };
}

/** Runs `consume` (which resolves with its closer) on the case's filled queue; times the skip-th to the last ack. */
async function measure(
  setup: Setup,
  label: string,
  warm: boolean,
  consume: (queue: string, completions: Completions) => Promise<() => Promise<void>>,
): Promise<Throughput> {
  const { n, skip } = size(setup, warm);
  const queue = setup.queues[label]!;
  const completions = new Completions();
  const close = await consume(queue, completions);
  try {
    const start = await completions.at(skip, TIMEOUT_MS, queue);
    const end = await completions.at(n, TIMEOUT_MS, queue);
    return between(start, end, n - skip);
  } finally {
    await close();
  }
}

function consumerCase(label: string, traced: boolean): Case<Setup> {
  return {
    label,
    library: 'tidings',
    once: (setup, warm) =>
      measure(setup, label, warm, async (queue, completions) => {
        const tracing = traced ? await installTracing() : undefined;
        const { Consumer } = await loadTidings();
        const transport = await tidingsTransport('bench-consume-consumer');
        const consumer = new Consumer(transport, {
          queue,
          bindingKeys: [`${setup.exchange}.${queue.slice(queue.lastIndexOf('.') + 1)}`],
          appId: setup.appId,
          prefetch: setup.prefetch,
        });
        consumer.on('settled', (outcome) => {
          if (outcome.outcome === 'acked') completions.done();
        });
        await consumer.consume(() => {});
        return async () => {
          await consumer.close();
          await transport.close();
          await tracing?.shutdown();
          if (tracing !== undefined && tracing.exported() === 0) throw new Error('no span was exported');
        };
      }),
  };
}

const cases: Case<Setup>[] = [
  {
    label: TRANSPORT,
    library: 'tidings',
    once: (setup, warm) =>
      measure(setup, TRANSPORT, warm, async (queue, completions) => {
        const transport = await tidingsTransport('bench-consume-tidings');
        await transport.consume(
          queue,
          async (delivery) => {
            delivery.ack();
            completions.done();
          },
          { prefetch: setup.prefetch },
        );
        return () => transport.close();
      }),
  },
  consumerCase(CONSUMER, false),
  consumerCase(CONSUMER_OTEL, true),
  {
    label: RAW,
    library: 'amqplib',
    once: (setup, warm) =>
      measure(setup, RAW, warm, async (queue, completions) => {
        const connection = await rawConnection('bench-consume-amqplib');
        const channel = await connection.createChannel();
        await channel.prefetch(setup.prefetch);
        await channel.consume(
          queue,
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
    label: RASCAL,
    library: 'rascal',
    once: (setup, warm) =>
      measure(setup, RASCAL, warm, async (queue, completions) => {
        const broker = await rascalBroker({
          queues: { [queue]: {} },
          subscriptions: { bench: { queue } },
          prefetch: setup.prefetch,
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
  {
    label: ACM,
    library: 'acm',
    once: (setup, warm) =>
      measure(setup, ACM, warm, async (queue, completions) => {
        const connection = await acmConnection('bench-consume-acm');
        // ChannelWrapper.consume: acm sets the prefetch and re-subscribes after a reconnect.
        const channel = await acmChannel(connection, 'consume', undefined, false);
        await channel.consume(
          queue,
          (message) => {
            channel.ack(message);
            completions.done();
          },
          { prefetch: setup.prefetch, noAck: false },
        );
        return async () => {
          await channel.close();
          await connection.close();
        };
      }),
  },
];

export function consumeScenario(prefetch: number): Scenario<Setup> {
  const id = prefetch === 100 ? 'consume' : `consume-${prefetch}`;
  return {
    id,
    cases,
    async prepare({ names, admin, quick }) {
      const { waitQueueName } = await loadTidings();
      const total = quick ? 5000 : 15_000;
      const warmup = quick ? 1000 : 1500;
      const rounds = quick ? 1 : 15;
      const exchange = names.exchange;
      const appId = names.appId;
      const queues: Record<string, string> = {};
      const fill = names.otherExchange(`${id}-fill`);
      await admin.exchange(exchange);
      await admin.exchange(fill, 'fanout');
      for (const [index, testCase] of cases.entries()) {
        const suffix = `${id}-${index}-${testCase.library}`;
        const queue = names.queue(suffix);
        queues[testCase.label] = queue;
        if (testCase.label.startsWith('tidings Consumer')) {
          // The Consumer declares its queue with the dead-letter exchange, and wait queues for its default delays.
          for (const delay of [1000, 10_000, 60_000]) names.queue(waitQueueName(suffix, delay));
          await admin.queue(queue, { 'x-dead-letter-exchange': `${appId}.dead-letter` });
        } else {
          await admin.queue(queue);
        }
        await admin.bind(queue, fill, '');
      }
      const setup: Setup = { prefetch, exchange, appId, queues, total, warmup };
      let round = 0;
      return {
        setup,
        rounds,
        discardFirst: true,
        async beforeRound(warm) {
          for (const queue of Object.values(queues)) await admin.purge(queue);
          await admin.fill({ exchange: fill }, size(setup, warm).n, `c${prefetch}-${round++}-`);
        },
        async beforeCase(label, warm) {
          const ready = await admin.messageCount(queues[label]!);
          const { n } = size(setup, warm);
          if (ready !== n) throw new Error(`${queues[label]} holds ${ready} messages instead of ${n}`);
        },
        report: {
          title: `Consume and ack, prefetch ${prefetch.toLocaleString('en-US')}: queue pre-filled with ${total.toLocaleString('en-US')} persistent 200-byte messages`,
          notes: [
            `acks/s from message ${warmup.toLocaleString('en-US')} to ${total.toLocaleString('en-US')}; each repetition in a fresh process on a fresh connection; ${rounds} repetitions after a discarded warm-up round; cases interleaved, one fanout publish fills all their queues per round`,
            'Consumer: JSON decode + MemoryRepeatCounter increment/forget + handler + ack; Rascal parses the JSON too; amqp-connection-manager: ChannelWrapper.consume + ack',
          ],
          unit: 'msgs/s',
          showModes: true,
          goals: [bestPeerGoal(CONSUMER, 0.9), reportedRatio('tracing on', CONSUMER_OTEL, CONSUMER)],
        },
      };
    },
  };
}
