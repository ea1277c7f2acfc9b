import { randomUUID } from 'node:crypto';
import type { TransportConsumer, Delivery, Topology, Transport } from '../../src/messaging/transport.js';

export type TransportFactory = () => Promise<Transport> | Transport;

/** Long enough for a message that should not arrive to have arrived; used only for such negative checks. */
export const QUIET_MS = 100;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `probe` returns something truthy, and returns it; fails naming `what` after `timeoutMs`. */
export async function eventually<T>(
  probe: () => T | Promise<T>,
  what: string,
  timeoutMs = 2000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** A promise with its resolve function, to hold a handler until the test lets it go. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Deliveries received by one consumer, in order. */
export interface Inbox {
  readonly deliveries: Delivery[];
  readonly consumer: TransportConsumer;
  /** Resolves with the first `count` deliveries once they have arrived. */
  receive(count: number, timeoutMs?: number): Promise<Delivery[]>;
}

/**
 * One test's world: unique names, the transports it opened, and everything it declared, which `cleanUp`
 * deletes (through a fresh transport if the test closed its own).
 */
export class ContractHarness {
  readonly prefix = `t-${randomUUID().slice(0, 8)}`;
  readonly errors = new Map<Transport, Error[]>();
  readonly #create: TransportFactory;
  readonly #transports: Transport[] = [];
  readonly #consumers: TransportConsumer[] = [];
  readonly #queues = new Set<string>();
  readonly #exchanges = new Set<string>();
  #main: Transport | undefined;

  constructor(create: TransportFactory) {
    this.#create = create;
  }

  /** The test's transport. */
  get transport(): Transport {
    if (!this.#main) throw new Error('the harness has not started');
    return this.#main;
  }

  async start(): Promise<void> {
    this.#main = await this.open();
  }

  /** Another transport to the same broker (another service, or the same one after a restart). */
  async open(): Promise<Transport> {
    const transport = await this.#create();
    const errors: Error[] = [];
    transport.on('error', (error) => errors.push(error));
    this.errors.set(transport, errors);
    this.#transports.push(transport);
    return transport;
  }

  /** A unique name for this test. */
  name(suffix: string): string {
    return `${this.prefix}-${suffix}`;
  }

  async declare(topology: Topology, transport = this.transport): Promise<void> {
    for (const { name } of topology.exchanges ?? []) this.#exchanges.add(name);
    for (const { name } of topology.queues ?? []) this.#queues.add(name);
    await transport.declare(topology);
  }

  async publish(
    exchange: string,
    routingKey: string,
    body: string,
    properties: Record<string, unknown> = {},
    transport = this.transport,
  ): Promise<void> {
    await transport.publish({ exchange, routingKey, content: Buffer.from(body), properties });
  }

  /**
   * Consumes into an inbox. `settle: 'ack'` acks each delivery at once; `'hold'` leaves it to the test.
   */
  async inbox(
    queue: string,
    options: { prefetch?: number; settle?: 'ack' | 'hold'; transport?: Transport } = {},
  ): Promise<Inbox> {
    const { prefetch = 10, settle = 'ack', transport = this.transport } = options;
    const deliveries: Delivery[] = [];
    const consumer = await this.consume(
      queue,
      async (delivery) => {
        deliveries.push(delivery);
        if (settle === 'ack') delivery.ack();
      },
      prefetch,
      transport,
    );
    const receive = (count: number, timeoutMs?: number): Promise<Delivery[]> =>
      eventually(
        () => (deliveries.length >= count ? deliveries.slice(0, count) : undefined),
        `${count} deliveries from ${queue} (got ${deliveries.length})`,
        timeoutMs,
      );
    return { deliveries, consumer, receive };
  }

  async consume(
    queue: string,
    handler: (delivery: Delivery) => Promise<void>,
    prefetch = 10,
    transport = this.transport,
  ): Promise<TransportConsumer> {
    const consumer = await transport.consume(queue, handler, { prefetch });
    this.#consumers.push(consumer);
    return consumer;
  }

  /** Takes every message of a queue with `get`, acking each; returns their bodies. */
  async drain(queue: string, transport = this.transport): Promise<string[]> {
    const bodies: string[] = [];
    for (let delivery = await transport.get(queue); delivery; delivery = await transport.get(queue)) {
      bodies.push(delivery.content.toString());
      delivery.ack();
    }
    return bodies;
  }

  /** Waits until a queue holds `count` ready messages. */
  async readyCount(queue: string, count: number, timeoutMs?: number): Promise<void> {
    let last: number | undefined;
    await eventually(
      async () => (last = (await this.transport.queueStats(queue))?.messageCount) === count,
      `${count} ready messages in ${queue} (last seen: ${last})`,
      timeoutMs,
    );
  }

  async cleanUp(): Promise<void> {
    await Promise.all(this.#consumers.map((consumer) => withTimeout(consumer.cancel(), 1000)));
    const admin = await this.#admin();
    for (const queue of this.#queues) await admin.deleteQueue(queue);
    for (const exchange of this.#exchanges) await admin.deleteExchange(exchange);
    await Promise.all(this.#transports.map((transport) => transport.close({ timeoutMs: 1000 })));
  }

  /** A transport that is still open, or a new one. */
  async #admin(): Promise<Transport> {
    for (const transport of this.#transports) {
      try {
        await transport.connect();
        return transport;
      } catch {
        // closed by the test
      }
    }
    return this.open();
  }
}

async function withTimeout(work: Promise<unknown>, ms: number): Promise<void> {
  await Promise.race([work.catch(() => undefined), sleep(ms)]);
}
