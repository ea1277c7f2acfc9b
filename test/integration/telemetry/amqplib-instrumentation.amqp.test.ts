// With @opentelemetry/instrumentation-amqplib registered as well (before amqplib is loaded, as a
// service's tracing setup does it), tidings' publishes and deliveries get tidings' spans only — one
// `send`, one `process` per delivery, their `ack`s and the repeat's copy — in one continuous trace,
// while amqplib used directly is still traced by the instrumentation, and the handler's own spans are
// not suppressed.
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { trace } from '@opentelemetry/api';
import type * as Amqplib from 'amqplib';
import { AmqplibInstrumentation } from '@opentelemetry/instrumentation-amqplib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Bridge, EventDispatcher, Publisher, type SettledOutcome } from '../../../src/index.js';
import type { AmqpTransport as AmqpTransportClass } from '../../../src/rabbitmq.js';
import { deleteDeclared, mergeNames, subscriberNames } from '../../helpers/declared-names.js';
import { installOtel, parentOf, type InstalledOtel } from '../../telemetry/otel-sdk.js';
import { AMQP_URL } from '../servers.js';

const INSTRUMENTATION_SCOPE = '@opentelemetry/instrumentation-amqplib';
const exchange = `otelamqp${randomUUID().slice(0, 8)}`;
const routingKey = `${exchange}.placed`;
const naming = {
  queue: `${exchange}.billing`,
  bindingKeys: [routingKey],
  appId: `${exchange}-billing`,
  repeatDelaysMs: [0],
};
const require = createRequire(import.meta.url);
let otel: InstalledOtel;
let instrumentation: AmqplibInstrumentation;
let transport: AmqpTransportClass;

beforeAll(async () => {
  // Each test file runs in a fresh worker (vitest isolates them): amqplib is not loaded yet here, so
  // the instrumentation patches it when tidings' adapter loads it below.
  expect(Object.keys(require.cache).some((file) => /[\\/]amqplib[\\/]lib[\\/]/.test(file))).toBe(false);
  otel = installOtel();
  instrumentation = new AmqplibInstrumentation();
  instrumentation.setTracerProvider(trace.getTracerProvider());
  instrumentation.enable();
  const { AmqpTransport } = await import('../../../src/rabbitmq.js');
  transport = new AmqpTransport({ url: AMQP_URL });
});

afterAll(async () => {
  await deleteDeclared(transport, mergeNames(subscriberNames(naming), { exchanges: [exchange] }));
  await transport.close();
  instrumentation.disable();
  await otel.uninstall();
});

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

it('is active: amqplib used directly gets its publish span', async () => {
  const amqplib = require('amqplib') as typeof Amqplib;
  // Not an export of the package: by path, as require-in-the-middle finds it.
  const channelModel = require(join(dirname(require.resolve('amqplib')), 'lib/channel_model.js')) as {
    Channel: { prototype: { consume: { __wrapped?: boolean } } };
  };
  expect(channelModel.Channel.prototype.consume.__wrapped).toBe(true);
  const connection = await amqplib.connect(AMQP_URL);
  try {
    const channel = await connection.createChannel();
    channel.publish('amq.topic', 'nobody.listens', Buffer.from('{}'));
    await channel.close();
  } finally {
    await connection.close();
  }
  const publishes = otel.exporter
    .getFinishedSpans()
    .filter((span) => span.instrumentationScope.name === INSTRUMENTATION_SCOPE);
  expect(publishes.map((span) => span.name)).toEqual(['publish amq.topic']);
  otel.exporter.reset();
});

it("tidings' publish, deliveries, repeat and acks have tidings' spans only, in one trace", async () => {
  const billing = new Bridge({ dispatcher: new EventDispatcher(), transport, appId: naming.appId });
  const settled: SettledOutcome[] = [];
  billing.on('settled', (outcome) => settled.push(outcome));
  let calls = 0;
  const { appId: _appId, ...consumeNaming } = naming;
  billing.consume({
    ...consumeNaming,
    handler: () => {
      trace.getTracer('test').startSpan('charge card').end();
      if (++calls === 1) throw new Error('payment service unavailable');
    },
  });
  await billing.start();
  try {
    const request = await trace.getTracer('test').startActiveSpan('POST /orders', async (span) => {
      // The exchange is the routing key's first word.
      await new Publisher(transport, { appId: 'shop' }).send({ orderId: 'o-1' }, routingKey);
      span.end();
      return span.spanContext();
    });
    await until(() => settled.length === 2, 'the message and its repeat');
    await otel.ended(`process ${naming.queue}`, 2);
    await otel.ended(`ack ${naming.queue}`, 2);
    expect(settled.map((outcome) => outcome.outcome)).toEqual(['repeated', 'acked']);

    const spans = otel.exporter.getFinishedSpans();
    expect(
      spans
        .filter((span) => span.instrumentationScope.name === INSTRUMENTATION_SCOPE)
        .map((span) => span.name),
    ).toEqual([]);
    expect(spans.map((span) => span.name).sort()).toEqual(
      [
        'POST /orders',
        `send ${exchange}`,
        `process ${naming.queue}`,
        `process ${naming.queue}`,
        'charge card',
        'charge card',
        `send ${naming.queue}`, // the repeat's copy, straight back to the queue (no delay)
        `ack ${naming.queue}`,
        `ack ${naming.queue}`,
      ].sort(),
    );
    for (const span of spans) expect(span.spanContext().traceId, span.name).toBe(request.traceId);
    const send = otel.span(`send ${exchange}`);
    expect(parentOf(send)).toBe(request.spanId);
    const processed = otel.spans(`process ${naming.queue}`);
    // The repeat's delivery hangs under the original send: the copy kept its traceparent.
    for (const span of processed) expect(parentOf(span)).toBe(send.spanContext().spanId);
    const charges = otel.spans('charge card');
    expect(charges.map(parentOf).sort()).toEqual(processed.map((span) => span.spanContext().spanId).sort());
    expect(parentOf(otel.span(`send ${naming.queue}`))).toBe(processed[0]!.spanContext().spanId);
  } finally {
    await billing.close();
  }
});
