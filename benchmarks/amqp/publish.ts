// 1. Publishing with publisher confirms: 200-byte persistent, mandatory messages with a message id to
// a durable topic exchange bound to one durable queue. Two groups of cases:
// - pipelined: 1000 publishes unconfirmed at most (the caller starts a new publish as each one is
//   confirmed), for every client;
// - one at a time: each publish awaits its confirm before the next starts.
// Measured: confirmed publishes per second in the steady state, after a warm-up on the same connection.
// The "OTel SDK" case is `Publisher.send` with an OpenTelemetry SDK registered (otel.ts).
import {
  acmChannel,
  acmConnection,
  loadTidings,
  rascalBroker,
  rawConnection,
  tidingsTransport,
} from './clients.js';
import {
  CONFIRM_WINDOW,
  jsonBody,
  jsonPayload,
  persistent,
  pump,
  tidingsEnvelope,
  sleep,
  type Case,
  type Done,
  type PumpResult,
  type Scenario,
} from './harness.js';
import { installTracing } from './otel.js';
import { ratioGoal, reportedRatio } from './goals.js';

interface Setup {
  readonly exchange: string;
  readonly routingKey: string;
  readonly warmupMs: number;
  readonly measureMs: number;
}

const PIPELINED = `window ${CONFIRM_WINDOW}`;
const ONE = 'one at a time';
const TRANSPORT = 'tidings AmqpTransport.publish';
const SEND = 'tidings Publisher.send';
const SEND_OTEL = 'tidings Publisher.send, OTel SDK';
const RAW = 'amqplib confirm channel, window 1000';
const RAW_ENVELOPE = 'amqplib + the same envelope, window 1000';
const RASCAL = 'Rascal publication (confirm)';
const ACM = 'amqp-connection-manager publish, window 1000';
const SEND_ONE = 'tidings Publisher.send, await each';
const RAW_ONE = 'amqplib, await each confirm';
const RAW_ENVELOPE_ONE = 'amqplib + the same envelope, await each';
const ACM_ONE = 'amqp-connection-manager publish, await each';

function timed(setup: Setup, window: number, start: (done: Done) => void): Promise<PumpResult> {
  return pump({ window, warmupMs: setup.warmupMs, measureMs: setup.measureMs }, start);
}

function sendCase(label: string, window: number, traced: boolean): Case<Setup> {
  return {
    label,
    library: 'tidings',
    group: window === 1 ? ONE : PIPELINED,
    async once(setup) {
      const tracing = traced ? await installTracing() : undefined;
      const { Publisher } = await loadTidings();
      const transport = await tidingsTransport('bench-publish-tidings-send');
      let result: PumpResult;
      try {
        const publisher = new Publisher(transport, { appId: 'bench' });
        const payload = jsonPayload(1);
        result = await timed(setup, window, (done) => {
          publisher.send(payload, setup.routingKey).then(() => done(), done);
        });
      } finally {
        await transport.close();
        await tracing?.shutdown();
      }
      if (tracing !== undefined && tracing.exported() === 0) throw new Error('no span was exported');
      return result;
    },
  };
}

/**
 * Raw amqplib on a confirm channel. With `envelope`, a reference, not a peer: it also does per message
 * what `Publisher.send` does besides publishing — JSON-encode the payload and send tidings' envelope —
 * which tells the envelope's cost from the library's.
 */
function rawCase(label: string, window: number, envelope = false): Case<Setup> {
  return {
    label,
    library: 'amqplib',
    group: window === 1 ? ONE : PIPELINED,
    ...(envelope ? { reference: true } : {}),
    async once(setup) {
      const connection = await rawConnection(`bench-publish-amqplib${envelope ? '-envelope' : ''}`);
      try {
        const channel = await connection.createConfirmChannel();
        let returned = 0;
        channel.on('return', () => returned++);
        const body = jsonBody(1);
        const payload = jsonPayload(1);
        let seq = 0;
        const result = await timed(setup, window, (done) => {
          if (envelope) {
            const content = Buffer.from(JSON.stringify(payload));
            channel.publish(
              setup.exchange,
              setup.routingKey,
              content,
              tidingsEnvelope(setup.routingKey),
              done,
            );
          } else {
            channel.publish(setup.exchange, setup.routingKey, body, persistent(String(seq++)), done);
          }
        });
        if (returned > 0) throw new Error(`${returned} messages were returned`);
        return result;
      } finally {
        await connection.close();
      }
    },
  };
}

function acmCase(label: string, window: number): Case<Setup> {
  return {
    label,
    library: 'acm',
    group: window === 1 ? ONE : PIPELINED,
    async once(setup) {
      const connection = await acmConnection('bench-publish-acm');
      try {
        let returned = 0;
        const channel = await acmChannel(connection, 'publish', async (confirm) => {
          confirm.on('return', () => returned++);
        });
        const body = jsonBody(1);
        let seq = 0;
        const result = await timed(setup, window, (done) => {
          channel
            .publish(setup.exchange, setup.routingKey, body, persistent(String(seq++)))
            .then(() => done(), done);
        });
        if (returned > 0) throw new Error(`${returned} messages were returned`);
        await channel.close();
        return result;
      } finally {
        await connection.close();
      }
    },
  };
}

const cases: Case<Setup>[] = [
  {
    label: TRANSPORT,
    library: 'tidings',
    group: PIPELINED,
    async once(setup) {
      const transport = await tidingsTransport('bench-publish-tidings');
      try {
        const message = {
          exchange: setup.exchange,
          routingKey: setup.routingKey,
          content: jsonBody(1),
          properties: { contentType: 'application/json' },
        };
        return await timed(setup, CONFIRM_WINDOW, (done) => {
          transport.publish(message).then(() => done(), done);
        });
      } finally {
        await transport.close();
      }
    },
  },
  sendCase(SEND, CONFIRM_WINDOW, false),
  sendCase(SEND_OTEL, CONFIRM_WINDOW, true),
  rawCase(RAW, CONFIRM_WINDOW),
  rawCase(RAW_ENVELOPE, CONFIRM_WINDOW, true),
  acmCase(ACM, CONFIRM_WINDOW),
  {
    label: RASCAL,
    library: 'rascal',
    group: PIPELINED,
    async once(setup) {
      const { exchange, routingKey } = setup;
      const broker = await rascalBroker({ exchange, publications: { bench: { exchange, routingKey } } });
      try {
        const body = jsonBody(1);
        return await timed(setup, CONFIRM_WINDOW, (done) => {
          broker.publish('bench', body).then((publication) => {
            publication.on('success', () => done());
            publication.on('error', done);
            publication.on('return', () => done(new Error('returned')));
          }, done);
        });
      } finally {
        await broker.shutdown();
      }
    },
  },
  sendCase(SEND_ONE, 1, false),
  rawCase(RAW_ONE, 1),
  rawCase(RAW_ENVELOPE_ONE, 1, true),
  acmCase(ACM_ONE, 1),
];

export const scenario: Scenario<Setup> = {
  id: 'publish',
  cases,
  async prepare({ names, admin, quick }) {
    const exchange = names.exchange;
    const routingKey = `${exchange}.published`;
    const queue = names.queue('publish');
    await admin.exchange(exchange);
    await admin.queue(queue);
    await admin.bind(queue, exchange, routingKey);
    const timing = quick ? { warmupMs: 200, measureMs: 400 } : { warmupMs: 400, measureMs: 1000 };
    const rounds = quick ? 1 : 5;
    return {
      setup: { exchange, routingKey, ...timing },
      rounds,
      discardFirst: false,
      async afterCase() {
        await admin.purge(queue);
        await sleep(200);
      },
      report: {
        title: `Publish with confirms: 200-byte persistent mandatory messages, ${PIPELINED} and ${ONE}`,
        notes: [
          `${timing.warmupMs} ms warm-up then ${timing.measureMs} ms measured per repetition; each repetition in a fresh process on a fresh connection; ${rounds} repetitions, interleaved`,
          'Publisher.send also JSON-encodes the payload and builds the envelope (id, type, timestamp, headers)',
          '"amqplib + the same envelope": raw amqplib JSON-encoding the payload and sending tidings\' envelope (UUID id, type, appId, timestamp, x-tidings-origin) per message: a reference, not a peer',
          'Rascal borrows a channel from its pool (max 5) for each publish and holds it until the confirm',
          'OTel SDK: BasicTracerProvider + BatchSpanProcessor (spans dropped by the exporter), AsyncLocalStorage context, W3C propagators',
        ],
        unit: 'msgs/s',
        goals: [
          ratioGoal(SEND, RAW, 0.95),
          ratioGoal(SEND_ONE, RAW_ONE, 0.95),
          reportedRatio('tracing on', SEND_OTEL, SEND),
          reportedRatio('same envelope', SEND, RAW_ENVELOPE),
          reportedRatio('same envelope', SEND_ONE, RAW_ENVELOPE_ONE),
        ],
      },
    };
  },
};
