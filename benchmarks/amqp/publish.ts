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
import type { Options } from 'amqplib';
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
  type Plan,
  type PumpResult,
  type RunContext,
  type Scenario,
} from './harness.js';
import { installTracing } from './otel.js';
import { ratioGoal, reportedRatio } from './goals.js';

export interface Setup {
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

export function sendCase(label: string, window: number, traced: boolean): Case<Setup> {
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

/** What a raw amqplib case publishes as message `seq`. */
export type RawMessage = (seq: number, setup: Setup) => { content: Buffer; properties: Options.Publish };

/** The peers' message: the same 200-byte body every time, persistent, mandatory, a short id. */
const bareMessage =
  (body: Buffer): RawMessage =>
  (seq) => ({
    content: body,
    properties: persistent(String(seq)),
  });

/**
 * tidings' work by hand: the payload JSON-encoded per message and tidings' envelope (what
 * `Publisher.send` does besides publishing), which tells the envelope's cost from the library's.
 */
const PAYLOAD = jsonPayload(1);
const envelopeMessage: RawMessage = (_seq, setup) => ({
  content: Buffer.from(JSON.stringify(PAYLOAD)),
  properties: tidingsEnvelope(setup.routingKey),
});

/** Raw amqplib on a confirm channel, publishing `message(seq)`; a `reference` row is never a peer. */
export function rawCase(label: string, window: number, message: RawMessage, reference = false): Case<Setup> {
  return {
    label,
    library: 'amqplib',
    group: window === 1 ? ONE : PIPELINED,
    ...(reference ? { reference: true } : {}),
    async once(setup) {
      const connection = await rawConnection(`bench-publish-amqplib${reference ? '-reference' : ''}`);
      try {
        const channel = await connection.createConfirmChannel();
        let returned = 0;
        channel.on('return', () => returned++);
        let seq = 0;
        const result = await timed(setup, window, (done) => {
          const { content, properties } = message(seq++, setup);
          channel.publish(setup.exchange, setup.routingKey, content, properties, done);
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
  rawCase(RAW, CONFIRM_WINDOW, bareMessage(jsonBody(1))),
  rawCase(RAW_ENVELOPE, CONFIRM_WINDOW, envelopeMessage, true),
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
  rawCase(RAW_ONE, 1, bareMessage(jsonBody(1))),
  rawCase(RAW_ENVELOPE_ONE, 1, envelopeMessage, true),
  acmCase(ACM_ONE, 1),
];

/**
 * In the parent: a durable topic exchange bound to one durable queue (named by `suffix`), purged after
 * each repetition; 5 interleaved repetitions of 400 ms warm-up then 1 s measured (`--quick`: 1, shorter).
 */
export async function preparePublishing(
  { names, admin, quick }: RunContext,
  suffix: string,
): Promise<Omit<Plan<Setup>, 'report'> & { timing: string }> {
  const exchange = names.exchange;
  const routingKey = `${exchange}.${suffix}`;
  const queue = names.queue(suffix);
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
    timing: `${timing.warmupMs} ms warm-up then ${timing.measureMs} ms measured per repetition; each repetition in a fresh process on a fresh connection; ${rounds} repetitions, interleaved`,
  };
}

export const scenario: Scenario<Setup> = {
  id: 'publish',
  cases,
  async prepare(context) {
    const { timing, ...plan } = await preparePublishing(context, 'published');
    return {
      ...plan,
      report: {
        title: `Publish with confirms: 200-byte persistent mandatory messages, ${PIPELINED} and ${ONE}`,
        notes: [
          timing,
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
