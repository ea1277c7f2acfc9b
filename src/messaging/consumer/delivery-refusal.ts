import { InvalidContentError } from '../../errors/invalid-content-error.js';
import { headerRefusal } from '../delivery-headers.js';
import { decodeBody, identify, type DecodeLimits, type MessageIdentity } from '../envelope.js';
import type { Delivery } from '../transport.js';

/** A delivery the consumer refuses without running the handler: it could never succeed. */
export interface DeliveryRefusal {
  error: InvalidContentError;
  /** The encoded size of headers too large to copy along; the dead letter goes without them. */
  droppedHeaderBytes?: number | undefined;
}

/** What the consumer reads from a delivery before deciding anything: its payload, id, and any refusal. */
export interface InspectedDelivery {
  /** The decoded body; `undefined` when refused before or while decoding it. */
  payload: unknown;
  identity: MessageIdentity;
  refusal: DeliveryRefusal | undefined;
}

export interface InspectionLimits extends DecodeLimits {
  /** Header tables larger than this (as a copy writes them) are refused. */
  maxHeaderBytes: number;
}

/**
 * Decodes a delivery and says whether it is bad input, checked in this order: headers nested too deeply
 * or too large to copy along (dead-lettered without them), then a body that does not decode (content
 * type, encoding, size, JSON), then a message without an id of its own. Never throws.
 */
export function inspectDelivery(delivery: Delivery, limits: InspectionLimits): InspectedDelivery {
  let payload: unknown;
  let refusal: DeliveryRefusal | undefined = headerRefusal(delivery, limits.maxHeaderBytes);
  if (refusal === undefined) {
    try {
      payload = decodeBody(delivery, { maxContentBytes: limits.maxContentBytes });
    } catch (error) {
      refusal = { error: error as InvalidContentError };
    }
  }
  const identity = identify(delivery, payload);
  if (refusal === undefined && identity.idFrom === 'body-hash') {
    // Without an id, a redelivery and a second message with the same body look alike: repeat counts
    // and idempotent consumers would mix them up.
    refusal = {
      error: new InvalidContentError(
        'The message has no id: neither a messageId property nor an event_id in the body',
      ),
    };
  }
  return { payload, identity, refusal };
}
