import type { MessageProperties } from '../transport.js';

/** What a handler receives. */
export interface ConsumedMessage<P = unknown> {
  readonly payload: P;
  readonly messageId: string;
  readonly headers: Readonly<Record<string, unknown>>;
  readonly properties: Readonly<MessageProperties>;
  /** The routing key it was published with (also for repeats, which come back through a wait queue). */
  readonly routingKey: string;
  readonly exchange: string;
  readonly queue: string;
  /** 1 on the first delivery to a handler, 2 on the first repeat, … */
  readonly attempt: number;
  readonly redelivered: boolean;
}

export type MessageHandler<P = unknown> = (message: ConsumedMessage<P>) => unknown;
