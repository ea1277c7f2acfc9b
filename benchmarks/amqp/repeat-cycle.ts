// 4. The fail-fail-succeed repeat cycle: every message fails in its handler on the 1st and 2nd
// delivery and succeeds on the 3rd. A failed message is repeated by publishing a copy to the back of
// the same queue (confirmed) and then acking the original, the way each client does it:
// - tidings Consumer with `repeatDelaysMs: [0]` (immediate repeats), with its default
//   MemoryRepeatCounter and with RedisRepeatCounter (one Redis round trip per delivery, one per success);
// - hand-written amqplib: copy with an incremented `x-attempt` header, published to the queue through the
//   default exchange on a confirm channel, then the original acked once the copy is confirmed;
// - Rascal: `ackOrNack(error, { strategy: 'republish' })`.
// The queue is pre-filled with 1,500 messages; measured: messages completed (acked on their 3rd
// delivery) per second, from the first delivery to the last completion. Prefetch 100 everywhere.
import { tidings } from './tidings.js';
import { rascalBroker, rawConnection, tidingsTransport } from './clients.js';
import {
  between,
  Completions,
  MachineMonitor,
  newRow,
  PREFETCH,
  REDIS_URL,
  repeatRounds,
  selected,
  sleep,
  type Mark,
  type RunContext,
  type Scenario,
  type ScenarioResult,
  type Throughput,
} from './harness.js';
import { ratioGoal } from './report.js';

const { RedisRepeatCounter, Consumer } = tidings;
const MEMORY = 'tidings Consumer, [0], MemoryRepeatCounter';
const REDIS = 'tidings Consumer, [0], RedisRepeatCounter';
const RAW = 'amqplib hand-written republish';
const RASCAL = 'Rascal republish recovery';

/** Deliveries per message: fails twice, succeeds on the third. */
const DELIVERIES = 3;

function handle(attempt: number): void {
  if (attempt < DELIVERIES) throw new Error(`attempt ${attempt} failed`);
}

export const scenario: Scenario = {
  id: 'repeat-cycle',
  async run(context: RunContext): Promise<ScenarioResult> {
    const { names, admin } = context;
    const total = context.quick ? 500 : 1500;
    const rounds = context.quick ? 1 : 3;
    const exchange = names.exchange;
    const appId = names.appId;
    const subscriberArgs = { 'x-dead-letter-exchange': `${appId}.dead-letter` };
    const memoryQueue = names.queue('repeat-memory');
    const redisQueue = names.queue('repeat-redis');
    const rawQueue = names.queue('repeat-amqplib');
    const rascalQueue = names.queue('repeat-rascal');
    names.counterQueues.add(redisQueue);
    await admin.exchange(exchange);
    for (const queue of [memoryQueue, redisQueue]) await admin.queue(queue, subscriberArgs);
    for (const queue of [rawQueue, rascalQueue]) await admin.queue(queue);
    let repetition = 0;

    /** Fills `queue`, runs the consumer `start` sets up, and times it until every message completed. */
    async function measure(
      queue: string,
      warm: boolean,
      start: (completions: Completions, delivered: () => void) => Promise<() => Promise<void>>,
    ): Promise<Throughput> {
      await admin.purge(queue);
      const n = warm ? total / 5 : total; // the warm-up round only warms the JIT
      await admin.fill({ queue }, n, `r${repetition++}-`);
      const completions = new Completions();
      let deliveries = 0;
      const close = await start(completions, () => {
        deliveries++;
        completions.delivered();
      });
      let end: Mark;
      try {
        end = await completions.at(n, 120_000, queue);
      } finally {
        await close();
      }
      const left = await admin.messageCount(queue);
      if (deliveries !== n * DELIVERIES || left !== 0) {
        throw new Error(`${deliveries} deliveries for ${n} messages, ${left} left in the queue`);
      }
      return between(completions.first!, end, n);
    }

    function subscriberCase(label: string, queue: string, redis: boolean) {
      return {
        row: newRow(label, 'tidings'),
        once: (warm: boolean) =>
          measure(queue, warm, async (completions, delivered) => {
            const transport = await tidingsTransport('bench-repeat-tidings');
            const counter = redis ? new RedisRepeatCounter({ url: REDIS_URL }) : undefined;
            const consumer = new Consumer(transport, {
              queue,
              bindingKeys: [`${exchange}.${queue.slice(queue.lastIndexOf('.') + 1)}`],
              appId,
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

    const cases = selected(
      [
        subscriberCase(MEMORY, memoryQueue, false),
        subscriberCase(REDIS, redisQueue, true),
        {
          row: newRow(RAW, 'amqplib'),
          once: (warm: boolean) =>
            measure(rawQueue, warm, async (completions, delivered) => {
              const connection = await rawConnection('bench-repeat-amqplib');
              const consuming = await connection.createChannel();
              const publishing = await connection.createConfirmChannel();
              await consuming.prefetch(PREFETCH);
              let republishing = 0;
              await consuming.consume(
                rawQueue,
                (message) => {
                  if (message === null) return;
                  delivered();
                  const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
                  const attempt = Number(headers['x-attempt'] ?? 0) + 1;
                  try {
                    handle(attempt);
                  } catch {
                    const { contentType, deliveryMode, messageId } = message.properties;
                    publishing.publish(
                      '',
                      rawQueue,
                      message.content,
                      {
                        contentType,
                        deliveryMode,
                        messageId,
                        mandatory: true,
                        headers: { ...headers, 'x-attempt': attempt },
                      },
                      (error) => {
                        republishing--;
                        if (error === null || error === undefined) consuming.ack(message);
                        else consuming.nack(message, false, true);
                      },
                    );
                    republishing++;
                    return;
                  }
                  consuming.ack(message);
                  completions.done();
                },
                { noAck: false },
              );
              return async () => {
                // Originals are acked once their copy is confirmed, which may come after the last success.
                while (republishing > 0) await sleep(1);
                // Channels first: a channel's close completes once the broker has processed its acks.
                await consuming.close();
                await publishing.close();
                await connection.close();
              };
            }),
        },
        {
          row: newRow(RASCAL, 'rascal'),
          once: (warm: boolean) =>
            measure(rascalQueue, warm, async (completions, delivered) => {
              const broker = await rascalBroker({
                queues: { [rascalQueue]: {} },
                subscriptions: { bench: { queue: rascalQueue } },
              });
              const subscription = await broker.subscribe('bench');
              subscription.on('error', () => {});
              subscription.on(
                'message',
                (
                  message: { properties: { headers?: Record<string, any> } },
                  _content: unknown,
                  ackOrNack: (error?: Error, recovery?: object) => void,
                ) => {
                  delivered();
                  const republished = Number(
                    message.properties.headers?.['rascal']?.recovery?.[rascalQueue]?.republished ?? 0,
                  );
                  try {
                    handle(republished + 1);
                  } catch (error) {
                    ackOrNack(error as Error, { strategy: 'republish' });
                    return;
                  }
                  ackOrNack();
                  completions.done();
                },
              );
              return () => broker.shutdown();
            }),
        },
      ],
      context.filter,
    );

    const monitor = new MachineMonitor();
    monitor.begin();
    await repeatRounds(rounds + 1, cases, context, { discardFirst: true });
    return {
      id: 'repeat-cycle',
      title: `Fail-fail-succeed repeat cycle (3 deliveries, 2 confirmed republishes per message), prefetch ${PREFETCH}`,
      notes: [
        `queue pre-filled with ${total.toLocaleString('en-US')} messages; completed messages/s from the first delivery to the last success; fresh connection per repetition; ${rounds} repetitions after a discarded warm-up round`,
        'tidings also writes error name/message/stack headers on each copy; Rascal opens and closes a confirm channel per republish',
      ],
      unit: 'msgs/s',
      amqplibBaseline: RAW,
      rascalBaseline: RASCAL,
      rows: cases.map((testCase) => testCase.row),
      goals: [ratioGoal(REDIS, RASCAL, 5)],
      machine: monitor.end(),
    };
  },
};
