// Publishing directly, what the relay is measured against (relay.ts, relay-mysql.ts): the same
// OrderPlaced events through `Publisher.send` (or `Bridge.forward`), 1000 unconfirmed at most, which
// is `AmqpTransport`'s default `maxUnconfirmed`, i.e. what a caller gets who starts them all.
import { AMQP_URL, CONFIRM_WINDOW, pump, type Done } from '../amqp/harness.js';
import { tidings } from '../amqp/tidings.js';
import { startBusyLoop } from './busy-loop.js';
import { OrderPlaced } from './fixtures.js';
import { CpuMeter, type CaseSpec, type ParentContext } from './harness.js';

const { AmqpTransport, Publisher } = tidings;

export const SEND = `tidings Publisher.send, window ${CONFIRM_WINDOW}`;

/** What a direct-publishing case needs: messages before the clock starts, messages timed, the check. */
export interface DirectSpec {
  readonly warmup: number;
  readonly rows: number;
  readonly after: (context: ParentContext) => Promise<void>;
  /** A process beside it keeps this share of one core busy throughout (busy-loop.ts). */
  readonly busyShare?: number;
}

/**
 * Publishing directly, 1000 unconfirmed at most: `warmup` messages, then `rows` timed, each one an
 * OrderPlaced event published by what `setUp` returns.
 */
export function directCase(
  label: string,
  spec: DirectSpec,
  setUp: (transport: InstanceType<typeof AmqpTransport>) => (event: OrderPlaced) => Promise<unknown>,
): CaseSpec {
  const total = spec.warmup + spec.rows;
  return {
    label,
    async measure() {
      const events = Array.from({ length: total }, (_, seq) => new OrderPlaced(seq));
      const transport = await connectedTransport('bench-outbox-direct');
      const busy = spec.busyShare === undefined ? undefined : await startBusyLoop(spec.busyShare);
      try {
        const publish = setUp(transport);
        let next = 0;
        const start = (done: Done) => void publish(events[next++]!).then(() => done(), done);
        await pump({ window: CONFIRM_WINDOW, total: spec.warmup }, start);
        const meter = new CpuMeter();
        meter.begin();
        const result = await pump({ window: CONFIRM_WINDOW, total: spec.rows }, start);
        const cpuSample = meter.end();
        return {
          rate: result.rate,
          cpuUs: result.cpuUs,
          units: spec.rows,
          kinds: [],
          ...(cpuSample === undefined ? {} : { cpuSample }),
        };
      } finally {
        await busy?.stop();
        await transport.close();
      }
    },
    after: spec.after,
  };
}

/** `Publisher.send` of the same events to `routingKey`: what the relay is compared with (relay-mysql too). */
export function directSendCase(label: string, routingKey: string, spec: DirectSpec): CaseSpec {
  return directCase(label, spec, (transport) => {
    const publisher = new Publisher(transport, { appId: 'bench' });
    return (event) => publisher.send(event, routingKey, { eventName: OrderPlaced.eventName });
  });
}

export async function connectedTransport(name: string): Promise<InstanceType<typeof AmqpTransport>> {
  const transport = new AmqpTransport({ url: AMQP_URL, connectionName: name });
  transport.on('error', () => {});
  await transport.connect();
  return transport;
}
