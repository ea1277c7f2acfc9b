// Tracing in the BUILT package, as ES module and as CommonJS: `@opentelemetry/api` (an optional peer) is
// not loaded while no SDK is registered, and is found and used once one is — from dist/, whose lazy
// require must resolve it in either build. The SDK here is the ESM or CommonJS copy of the API the
// program loads itself; tidings loads its own (CommonJS) copy, and both share the registration.
// `npm test` builds first; run `npm run build` before running this file alone.
import { describe, expect, test } from 'vitest';
import { assertBuilt, lastJsonLine, runNode } from './helpers.js';

// Plain JavaScript run by both module systems: `t` is the package, `load` loads a package, `cache` is
// the CommonJS module cache (where tidings' lazy require would show).
const program = `
async function tracing(t, load, cache) {
  const { MemoryTransport, MemoryBroker, Publisher } = t;
  const transport = new MemoryTransport({ broker: new MemoryBroker() });
  await transport.declare({
    exchanges: [{ name: 'order', type: 'topic' }],
    queues: [{ name: 'billing' }],
    bindings: [{ queue: 'billing', exchange: 'order', pattern: 'order.placed' }],
  });
  const publisher = new Publisher(transport, { appId: 'shop' });
  const next = async () => { const d = await transport.get('billing'); d.ack(); return d.properties.headers; };
  await publisher.send({ orderId: 'o-1' }, 'order.placed');
  const untraced = await next();
  const apiLoaded = Object.keys(cache).some((file) => file.includes('@opentelemetry'));

  const api = await load('@opentelemetry/api');
  const sdk = await load('@opentelemetry/sdk-trace-base');
  const core = await load('@opentelemetry/core');
  const exporter = new sdk.InMemorySpanExporter();
  api.trace.setGlobalTracerProvider(
    new sdk.BasicTracerProvider({ spanProcessors: [new sdk.SimpleSpanProcessor(exporter)] }),
  );
  api.propagation.setGlobalPropagator(new core.W3CTraceContextPropagator());
  await publisher.send({ orderId: 'o-2' }, 'order.placed');
  const traced = await next();
  const [span] = exporter.getFinishedSpans();
  const { traceId, spanId } = span.spanContext();
  return {
    untraced,
    apiLoaded,
    span: span.name,
    injected: traced.traceparent === '00-' + traceId + '-' + spanId + '-01',
  };
}
`;

describe('OpenTelemetry in the built package', () => {
  test('no SDK: @opentelemetry/api is not loaded; an SDK registered later: the send span is injected', async () => {
    assertBuilt();
    const esm = await runNode([
      '--input-type=module',
      '-e',
      `import * as t from 'tidings';
       import { createRequire } from 'node:module';
       ${program}
       const load = async (name) => await import(name);
       console.log(JSON.stringify(await tracing(t, load, createRequire(import.meta.url).cache)));`,
    ]);
    const cjs = await runNode([
      '-e',
      `const t = require('tidings');
       ${program}
       tracing(t, async (name) => require(name), require.cache).then((r) => console.log(JSON.stringify(r)));`,
    ]);
    for (const printed of [esm, cjs]) {
      expect(lastJsonLine(printed)).toEqual({
        untraced: { 'x-tidings-origin': 'shop' },
        apiLoaded: false,
        span: 'send order',
        injected: true,
      });
    }
  });
});
