import { createHash } from 'node:crypto';
import type { MessageProperties } from '../transport.js';
import { canonicalJson, toArchiveJson } from './archive-json.js';

/**
 * Headers a broker changes when it delivers the same message again: they say nothing about which
 * message it is. (Quorum queues count deliveries in `x-delivery-count`.)
 */
const REDELIVERY_HEADERS = ['x-delivery-count'];

/**
 * What makes one dead letter one: a SHA-256 (hex) of its properties and headers (keys sorted, so their
 * order does not matter) and its body bytes.
 *
 * Why this and not the message id: the same message can be dead-lettered more than once — it is
 * replayed, fails again and comes back — and each time is a separate dead letter to look at. Each time
 * differs from the last in its failure headers: `x-tidings-last-failure-at` (to the millisecond) when
 * tidings dead-lettered it, the broker's `x-death` (time and count) otherwise. A copy of one dead letter
 * that the broker delivers again — because the process that archived it died before its ack — is
 * identical in every byte, so it has the same fingerprint and is recognised as a duplicate.
 *
 * The one case it cannot tell apart: two dead-letterings of one message that are identical in every
 * byte, which for broker-made dead letters (`x-death` time has one-second resolution) means the same
 * message replayed and dead-lettered again by the broker, for the same reason, within the same second.
 */
export function deadLetterFingerprint(message: {
  readonly content: Buffer;
  readonly properties: Readonly<MessageProperties>;
}): string {
  const { headers = {}, ...properties } = message.properties;
  const stable: Record<string, unknown> = { ...headers };
  for (const name of REDELIVERY_HEADERS) delete stable[name];
  // JSON text is self-delimiting, so nothing in the body can be mistaken for the end of the properties.
  return createHash('sha256')
    .update(canonicalJson(toArchiveJson({ properties, headers: stable })))
    .update(message.content)
    .digest('hex');
}
