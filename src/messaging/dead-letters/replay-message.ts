import { replaysOf } from '../envelope.js';
import { HEADERS } from '../names.js';
import type { MessageProperties, OutgoingMessage } from '../transport.js';
import { replayHeaders } from './dead-letter-headers.js';

/** What a replay needs to know of a dead letter, wherever it is kept (the queue, or an archive). */
export interface ReplaySource {
  readonly messageId: string;
  /** The queue it was consumed from: the replay goes there, and only there. */
  readonly queue: string;
  /** Where it was first published; kept in headers so the consumer sees its original routing key. */
  readonly exchange: string;
  readonly routingKey: string;
  readonly content: Buffer;
  readonly properties: Readonly<MessageProperties>;
  /** The headers with their AMQP field types, when known: the replay carries these (see `DeadLetter`). */
  readonly typedHeaders?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * The message that sends a dead letter back for a fresh start: the same body and properties, through the
 * default exchange to its original queue only (not to every queue bound to its routing key), with the
 * dead-letter bookkeeping headers removed (attempts reset) and the original exchange and routing key
 * recorded, and its replay count raised (a fresh repeat count; see `HEADERS.replays`). Without its TTL: a replay should not expire straight back into the dead-letter queue.
 * `DeadLetters.replay` and `PgDeadLetterArchive.replay` both send exactly this.
 */
export function replayMessage(source: ReplaySource): OutgoingMessage {
  return {
    exchange: '',
    routingKey: source.queue,
    content: source.content,
    properties: {
      ...source.properties,
      messageId: source.messageId,
      expiration: undefined,
      headers: {
        ...replayHeaders(source.typedHeaders ?? source.properties.headers ?? {}),
        [HEADERS.originalExchange]: source.exchange,
        [HEADERS.originalRoutingKey]: source.routingKey,
        [HEADERS.replays]: replaysOf(source.properties.headers) + 1,
      },
    },
  };
}
