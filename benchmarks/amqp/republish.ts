// The repeat cycle written by hand on a bare client (repeat-cycle.ts): the handler, and the failed
// message's copy with an incremented `x-attempt` header published to the back of its queue through the
// default exchange on a confirm channel, the original acked once the copy is confirmed. The same code
// runs on raw amqplib channels and on amqp-connection-manager's ChannelWrappers.
import type { ConsumeMessage, Options } from 'amqplib';
import { rawConnection } from './clients.js';
import { PREFETCH, sleep, type Completions, type Done } from './harness.js';

/** Deliveries per message: fails twice, succeeds on the third. */
export const DELIVERIES = 3;

export function handle(attempt: number): void {
  if (attempt < DELIVERIES) throw new Error(`attempt ${attempt} failed`);
}

/** What the hand-written republish needs of a client. */
export interface Republisher {
  /** Publishes `content` to the queue (default exchange), confirmed. */
  publish(content: Buffer, options: Options.Publish, confirmed: Done): void;
  ack(message: ConsumeMessage): void;
  /** Back to the queue (the copy failed). */
  nack(message: ConsumeMessage): void;
}

/**
 * The headers tidings writes on a repeat copy (docs/wire-format.md), for the reference case that
 * republishes with them: the error's name and message, the attempt, where the message was first
 * published, and the first and last failure times.
 */
function tidingsRepeatHeaders(
  headers: Record<string, unknown>,
  attempt: number,
  error: unknown,
  message: ConsumeMessage,
): Record<string, unknown> {
  const at = new Date().toISOString();
  const { name, message: text } = error instanceof Error ? error : new Error(String(error));
  return {
    ...headers,
    'x-tidings-error-name': name,
    'x-tidings-error-message': text,
    'x-tidings-attempt': attempt,
    'x-tidings-original-exchange': headers['x-tidings-original-exchange'] ?? message.fields.exchange,
    'x-tidings-original-routing-key': headers['x-tidings-original-routing-key'] ?? message.fields.routingKey,
    'x-tidings-first-failure-at': headers['x-tidings-first-failure-at'] ?? at,
    'x-tidings-last-failure-at': at,
  };
}

/**
 * `envelope`: also do per message what tidings' Consumer does besides republishing (parse the JSON body,
 * write tidings' repeat headers on the copy): the reference that tells the wire format's cost from the
 * library's.
 */
export function republishHandler(
  client: Republisher,
  completions: Completions,
  delivered: () => void,
  envelope = false,
): { onMessage(message: ConsumeMessage | null): void; drained(): Promise<void> } {
  let republishing = 0;
  return {
    onMessage(message) {
      if (message === null) return;
      delivered();
      const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
      const attempt = Number(headers[envelope ? 'x-tidings-attempt' : 'x-attempt'] ?? 0) + 1;
      try {
        if (envelope) JSON.parse(message.content.toString('utf8'));
        handle(attempt);
      } catch (error) {
        const { contentType, deliveryMode, messageId } = message.properties as {
          contentType?: string;
          deliveryMode?: number;
          messageId?: string;
        };
        republishing++;
        client.publish(
          message.content,
          {
            contentType,
            deliveryMode,
            messageId,
            mandatory: true,
            headers: envelope
              ? tidingsRepeatHeaders(headers, attempt, error, message)
              : { ...headers, 'x-attempt': attempt },
          },
          (error) => {
            republishing--;
            if (error === null || error === undefined) client.ack(message);
            else client.nack(message);
          },
        );
        return;
      }
      client.ack(message);
      completions.done();
    },
    /** Originals are acked once their copy is confirmed, which may come after the last success. */
    async drained() {
      while (republishing > 0) await sleep(1);
    },
  };
}

/** The hand-written republish on raw amqplib; resolves with its closer. */
export async function rawRepublish(
  queue: string,
  completions: Completions,
  delivered: () => void,
  envelope = false,
): Promise<() => Promise<void>> {
  const connection = await rawConnection('bench-repeat-amqplib');
  const consuming = await connection.createChannel();
  const publishing = await connection.createConfirmChannel();
  await consuming.prefetch(PREFETCH);
  const { onMessage, drained } = republishHandler(
    {
      publish: (content, options, confirmed) => publishing.publish('', queue, content, options, confirmed),
      ack: (message) => consuming.ack(message),
      nack: (message) => consuming.nack(message, false, true),
    },
    completions,
    delivered,
    envelope,
  );
  await consuming.consume(queue, onMessage, { noAck: false });
  return async () => {
    await drained();
    // Channels first: a channel's close completes once the broker has processed its acks.
    await consuming.close();
    await publishing.close();
    await connection.close();
  };
}
