// The event, the aggregate and the wiring both scenarios share: what an application using the outbox
// has (a Flusher over a PgUnitOfWork, a Bridge that forwards the event, `useOutbox`).
import type { Pool, PoolClient } from 'pg';
import type { EventDispatcher, Flusher, Transport } from '../../src/index.js';
import type { PgOutbox } from '../../src/postgres.js';
import { jsonPayload } from '../amqp/harness.js';
import { tidings, tidingsPostgres } from '../amqp/tidings.js';

const { AggregateRoot, Bridge, EventDispatcher: Dispatcher, Flusher: FlusherClass } = tidings;
const { PgUnitOfWork } = tidingsPostgres;

/** The forwarded event. Its JSON (the message body) is 200 bytes, as in benchmarks/amqp. */
export class OrderPlaced {
  static readonly eventName = 'order.placed';
  readonly seq: number;
  readonly pad: string;
  constructor(seq: number) {
    this.seq = seq;
    this.pad = jsonPayload(seq).pad;
  }
}

/** An aggregate that records `count` events in one call. */
export class Order extends AggregateRoot {
  place(count: number, firstSeq: number): void {
    for (let i = 0; i < count; i++) this.recordEvent(new OrderPlaced(firstSeq + i));
  }
}

export interface Shop {
  readonly dispatcher: EventDispatcher;
  readonly flusher: Flusher<PoolClient>;
  /** Events dispatched locally (after commit) so far. */
  dispatched(): number;
}

/**
 * A Flusher over a PgUnitOfWork, with one local listener. With `outbox`, also a Bridge that forwards
 * OrderPlaced to `routingKey`, sending it through the outbox (no relay attached: nothing is published).
 */
export function shop(
  pool: Pool,
  options: { outbox?: PgOutbox; transport?: Transport; routingKey?: string } = {},
): Shop {
  const dispatcher = new Dispatcher();
  const flusher = new FlusherClass({ dispatcher, unitOfWork: new PgUnitOfWork({ pool }) });
  let dispatched = 0;
  dispatcher.on(OrderPlaced, () => void dispatched++);
  if (options.outbox !== undefined) {
    const bridge = new Bridge({
      dispatcher,
      transport: options.transport ?? new tidings.MemoryTransport(),
      appId: 'bench',
    });
    bridge.forward(OrderPlaced, { routingKey: options.routingKey ?? 'order.placed' });
    bridge.useOutbox(flusher, options.outbox);
  }
  return { dispatcher, flusher, dispatched: () => dispatched };
}
