// 4. The fail-fail-succeed repeat cycle: every message fails in its handler on the 1st and 2nd
// delivery and succeeds on the 3rd. A failed message is repeated by publishing a copy to the back of
// the same queue (confirmed) and then acking the original, the way each client does it:
// - tidings Consumer with `repeatDelaysMs: [0]` (immediate repeats), with its default
//   MemoryRepeatCounter and with RedisRepeatCounter (one Redis round trip per delivery, one per success);
// - hand-written amqplib, and the same through amqp-connection-manager's ChannelWrappers: copy with an
//   incremented `x-attempt` header, published to the queue through the default exchange on a confirm
//   channel, the original acked once the copy is confirmed;
// - Rascal: `ackOrNack(error, { strategy: 'republish' })`.
// Before each repetition the parent fills the case's queue (20,000 messages by default, the size issue 15
// measured at; `--repeat-messages`), and checks it is empty afterwards; measured: messages completed
// (acked on their 3rd delivery) per second, from the first delivery to the last completion. Prefetch
// 100 everywhere.
import { acmChannel, acmConnection, loadTidings, rascalBroker, tidingsTransport } from './clients.js';
import {
  between,
  Completions,
  PREFETCH,
  REDIS_URL,
  type Case,
  type Mark,
  type Scenario,
  type Throughput,
} from './harness.js';
import { ratioGoal, reportedRatio } from './goals.js';
import { DELIVERIES, handle } from './republish.js';
import { rawRepublish, republishHandler, type Republisher } from './republish.js';

interface Setup {
  readonly exchange: string;
  readonly appId: string;
  readonly queues: Readonly<Record<string, string>>;
  readonly total: number;
}

const MEMORY = 'tidings Consumer, [0], MemoryRepeatCounter';
const REDIS = 'tidings Consumer, [0], RedisRepeatCounter';
const RAW = 'amqplib hand-written republish';
const RAW_ENVELOPE = 'amqplib hand-written, + JSON parse and the same headers';
const ACM = 'amqp-connection-manager hand-written republish';
const RASCAL = 'Rascal republish recovery';

/** The warm-up round only warms up the broker and the machine: fewer messages. */
const count = (setup: Setup, warm: boolean): number => (warm ? setup.total / 5 : setup.total);

/** Runs the consumer `start` sets up on the case's filled queue, until every message completed. */
async function measure(
  setup: Setup,
  label: string,
  warm: boolean,
  start: (queue: string, completions: Completions, delivered: () => void) => Promise<() => Promise<void>>,
): Promise<Throughput> {
  const queue = setup.queues[label]!;
  const n = count(setup, warm);
  const completions = new Completions();
  let deliveries = 0;
  const close = await start(queue, completions, () => {
    deliveries++;
    completions.delivered();
  });
  let end: Mark;
  try {
    // 120 s, or 10 ms a message for larger runs (20,000 take 6-60 s per client on these machines).
    end = await completions.at(n, Math.max(120_000, n * 10), queue);
  } finally {
    await close();
  }
  if (deliveries !== n * DELIVERIES) throw new Error(`${deliveries} deliveries for ${n} messages`);
  return between(completions.first!, end, n);
}

function consumerCase(label: string, redis: boolean): Case<Setup> {
  return {
    label,
    library: 'tidings',
    once: (setup, warm) =>
      measure(setup, label, warm, async (queue, completions, delivered) => {
        const { Consumer, RedisRepeatCounter } = await loadTidings();
        const transport = await tidingsTransport('bench-repeat-tidings');
        const counter = redis ? new RedisRepeatCounter({ url: REDIS_URL }) : undefined;
        const consumer = new Consumer(transport, {
          queue,
          bindingKeys: [`${setup.exchange}.${queue.slice(queue.lastIndexOf('.') + 1)}`],
          appId: setup.appId,
          prefetch: PREFETCH,
          repeatDelaysMs: [0],
          ...(counter ? { repeatCounter: counter } : {}),
        });
        let warnings = 0;
        consumer.on('warning', () => void warnings++);
        consumer.on('error', () => {});
        consumer.on('settled', (outcome) => {
          if (outcome.outcome === 'acked') completions.done();
        });
        await consumer.consume(({ attempt }) => {
          delivered();
          handle(attempt);
        });
        return async () => {
          await consumer.close();
          await transport.close();
          await counter?.close();
          if (warnings > 0) throw new Error(`the repeat counter was unavailable ${warnings} times`);
        };
      }),
  };
}

const cases: Case<Setup>[] = [
  consumerCase(MEMORY, false),
  consumerCase(REDIS, true),
  {
    label: RAW,
    library: 'amqplib',
    once: (setup, warm) =>
      measure(setup, RAW, warm, (queue, completions, delivered) =>
        rawRepublish(queue, completions, delivered),
      ),
  },
  {
    label: RAW_ENVELOPE,
    library: 'amqplib',
    reference: true,
    once: (setup, warm) =>
      measure(setup, RAW_ENVELOPE, warm, (queue, completions, delivered) =>
        rawRepublish(queue, completions, delivered, true),
      ),
  },
  {
    label: ACM,
    library: 'acm',
    once: (setup, warm) =>
      measure(setup, ACM, warm, async (queue, completions, delivered) => {
        const connection = await acmConnection('bench-repeat-acm');
        const publishing = await acmChannel(connection, 'republish');
        const consuming = await acmChannel(connection, 'consume', undefined, false);
        const republisher: Republisher = {
          publish: (content, options, confirmed) => {
            publishing.publish('', queue, content, options).then(() => confirmed(), confirmed);
          },
          ack: (message) => consuming.ack(message),
          nack: (message) => consuming.nack(message, false, true),
        };
        const { onMessage, drained } = republishHandler(republisher, completions, delivered);
        await consuming.consume(queue, onMessage, { prefetch: PREFETCH, noAck: false });
        return async () => {
          await drained();
          await consuming.close();
          await publishing.close();
          await connection.close();
        };
      }),
  },
  {
    label: RASCAL,
    library: 'rascal',
    once: (setup, warm) =>
      measure(setup, RASCAL, warm, async (queue, completions, delivered) => {
        const broker = await rascalBroker({ queues: { [queue]: {} }, subscriptions: { bench: { queue } } });
        const subscription = await broker.subscribe('bench');
        subscription.on('error', () => {});
        subscription.on(
          'message',
          (
            message: { properties: { headers?: Record<string, any> } },
            _content: unknown,
            ackOrNack: (error?: Error, recovery?: object, settled?: (failure?: Error) => void) => void,
          ) => {
            delivered();
            const republished = Number(
              message.properties.headers?.['rascal']?.recovery?.[queue]?.republished ?? 0,
            );
            try {
              handle(republished + 1);
            } catch (error) {
              // Rascal opens a confirm channel per republish: under load amqplib can run out of channel
              // numbers ("No channels left to allocate", seen with 10,000 messages), and the message is
              // then neither republished nor acked. Reported as such, at once, not as a timeout.
              ackOrNack(error as Error, { strategy: 'republish' }, (failure) => {
                if (failure !== undefined) {
                  completions.fail(new Error(`Rascal's republish recovery failed: ${failure.message}`));
                }
              });
              return;
            }
            ackOrNack();
            completions.done();
          },
        );
        return () => broker.shutdown();
      }),
  },
];

export const scenario: Scenario<Setup> = {
  id: 'repeat-cycle',
  cases,
  async prepare({ names, admin, quick, repeatMessages }) {
    const total = quick ? 500 : repeatMessages;
    const rounds = quick ? 1 : 3;
    const exchange = names.exchange;
    const appId = names.appId;
    await admin.exchange(exchange);
    const queues: Record<string, string> = {};
    for (const [index, testCase] of cases.entries()) {
      const queue = names.queue(`repeat-${index}-${testCase.library}`);
      queues[testCase.label] = queue;
      if (testCase.label === REDIS) names.counterQueues.add(queue);
      const tidings = testCase.library === 'tidings';
      await admin.queue(queue, tidings ? { 'x-dead-letter-exchange': `${appId}.dead-letter` } : {});
    }
    const setup: Setup = { exchange, appId, queues, total };
    let repetition = 0;
    return {
      setup,
      rounds,
      discardFirst: true,
      async beforeCase(label, warm) {
        await admin.purge(queues[label]!);
        await admin.fill({ queue: queues[label]! }, count(setup, warm), `r${repetition++}-`);
      },
      async afterCase(label) {
        const left = await admin.messageCount(queues[label]!);
        if (left !== 0) throw new Error(`${left} messages left in the queue`);
      },
      report: {
        title: `Fail-fail-succeed repeat cycle (3 deliveries, 2 confirmed republishes per message), prefetch ${PREFETCH}`,
        notes: [
          `queue pre-filled with ${total.toLocaleString('en-US')} messages; completed messages/s from the first delivery to the last success; each repetition in a fresh process on a fresh connection; ${rounds} repetitions after a discarded warm-up round`,
          'tidings also writes error name/message headers on each copy; Rascal opens and closes a confirm channel per republish',
          '"+ JSON parse and the same headers": the hand-written republish also parsing the JSON body and writing tidings\' repeat headers (error name and message, attempt, original exchange and routing key, first and last failure times): a reference, not a peer',
        ],
        unit: 'msgs/s',
        goals: [
          ratioGoal(MEMORY, RAW, 0.8),
          ratioGoal(REDIS, RAW, 0.7),
          reportedRatio('same work', MEMORY, RAW_ENVELOPE),
          reportedRatio('same work', REDIS, RAW_ENVELOPE),
        ],
      },
    };
  },
};
