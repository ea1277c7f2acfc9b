// 1. Publishing with publisher confirms: 200-byte persistent, mandatory messages to a durable topic
// exchange bound to one durable queue. Every case keeps 1000 publishes unconfirmed (the caller starts a
// new publish as each one is confirmed), except the reference row that awaits each confirm in turn.
// Measured: confirmed publishes per second in the steady state, after a warm-up on the same connection.
import { tidings } from './tidings.js';
import { rascalBroker, rawConnection, tidingsTransport } from './clients.js';
import {
  CONFIRM_WINDOW,
  jsonBody,
  jsonPayload,
  MachineMonitor,
  newRow,
  persistent,
  pump,
  repeatRounds,
  selected,
  sleep,
  type Done,
  type Goal,
  type Row,
  type RunContext,
  type Scenario,
  type ScenarioResult,
} from './harness.js';
import { ratioGoal } from './report.js';

const { Publisher } = tidings;
const TRANSPORT = 'tidings AmqpTransport.publish';
const SEND = 'tidings Publisher.send';
const RAW = 'amqplib confirm channel, window 1000';
const RAW_ONE = 'amqplib, await each confirm (reference)';
const RASCAL = 'Rascal publication (confirm)';

export const scenario: Scenario = {
  id: 'publish',
  async run(context: RunContext): Promise<ScenarioResult> {
    const { names, admin } = context;
    const exchange = names.exchange;
    const routingKey = `${exchange}.published`;
    const queue = names.queue('publish');
    await admin.exchange(exchange);
    await admin.queue(queue);
    await admin.bind(queue, exchange, routingKey);

    const timing = context.quick ? { warmupMs: 200, measureMs: 400 } : { warmupMs: 400, measureMs: 1000 };
    const rounds = context.quick ? 1 : 5;
    const body = jsonBody(1);
    const payload = jsonPayload(1);

    const cases = selected(
      [
        {
          row: newRow(TRANSPORT, 'tidings'),
          async once() {
            const transport = await tidingsTransport('bench-publish-tidings');
            try {
              const message = {
                exchange,
                routingKey,
                content: body,
                properties: { contentType: 'application/json' },
              };
              const result = await pump({ window: CONFIRM_WINDOW, ...timing }, (done) => {
                transport.publish(message).then(() => done(), done);
              });
              return result;
            } finally {
              await transport.close();
            }
          },
        },
        {
          row: newRow(SEND, 'tidings'),
          async once() {
            const transport = await tidingsTransport('bench-publish-tidings-send');
            try {
              const publisher = new Publisher(transport, { appId: 'bench' });
              const result = await pump({ window: CONFIRM_WINDOW, ...timing }, (done) => {
                publisher.send(payload, routingKey).then(() => done(), done);
              });
              return result;
            } finally {
              await transport.close();
            }
          },
        },
        rawCase(RAW, CONFIRM_WINDOW),
        rawCase(RAW_ONE, 1),
        {
          row: newRow(RASCAL, 'rascal'),
          async once() {
            const broker = await rascalBroker({
              exchange,
              publications: { bench: { exchange, routingKey } },
            });
            try {
              const result = await pump({ window: CONFIRM_WINDOW, ...timing }, (done) => {
                broker.publish('bench', body).then((publication) => {
                  publication.on('success', () => done());
                  publication.on('error', done);
                  publication.on('return', () => done(new Error('returned')));
                }, done);
              });
              return result;
            } finally {
              await broker.shutdown();
            }
          },
        },
      ],
      context.filter,
    );

    function rawCase(label: string, window: number) {
      return {
        row: newRow(label, 'amqplib'),
        async once() {
          const connection = await rawConnection('bench-publish-amqplib');
          try {
            const channel = await connection.createConfirmChannel();
            let returned = 0;
            channel.on('return', () => returned++);
            let seq = 0;
            const result = await pump({ window, ...timing }, (done: Done) => {
              channel.publish(exchange, routingKey, body, persistent(String(seq++)), done);
            });
            if (returned > 0) throw new Error(`${returned} messages were returned`);
            return result;
          } finally {
            await connection.close();
          }
        },
      };
    }

    const monitor = new MachineMonitor();
    monitor.begin();
    await repeatRounds(rounds, cases, context, {
      discardFirst: false,
      between: async () => {
        await admin.purge(queue);
        await sleep(200);
      },
    });
    const rows: Row[] = cases.map((testCase) => testCase.row);
    const goals: Goal[] = [
      ratioGoal(TRANSPORT, RAW, 0.9),
      ratioGoal(TRANSPORT, RASCAL, 4),
      ratioGoal(SEND, RAW, 0.9),
      ratioGoal(SEND, RASCAL, 4),
    ];
    return {
      id: 'publish',
      title: `Publish with confirms, pipelined (window ${CONFIRM_WINDOW}): 200-byte persistent mandatory messages`,
      notes: [
        `${timing.warmupMs} ms warm-up then ${timing.measureMs} ms measured per repetition, fresh connection each; ${rounds} repetitions, interleaved`,
        'Publisher.send also JSON-encodes the payload and builds the envelope (id, type, timestamp, headers)',
        'Rascal borrows a channel from its pool (max 5) for each publish and holds it until the confirm',
      ],
      unit: 'msgs/s',
      amqplibBaseline: RAW,
      rascalBaseline: RASCAL,
      rows,
      goals,
      machine: monitor.end(),
    };
  },
};
