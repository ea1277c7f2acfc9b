import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { InvalidContentError } from '../errors/invalid-content-error.js';
import { REWRITTEN_HEADERS } from './dead-letters/dead-letter-headers.js';
import { headerTableBytes } from './header-table-size.js';
import type { Delivery } from './transport.js';
import { MAX_HEADER_DEPTH } from './typed-headers.js';

/** Headers a consumer cannot copy along: the message is dead-lettered without them. */
export interface HeaderRefusal {
  error: InvalidContentError;
  /** Their encoded size (0 when the transport does not know the size of headers nested too deeply). */
  droppedHeaderBytes: number;
}

/**
 * Whether a delivery's headers are refused before anything else is looked at: nested more than
 * `MAX_HEADER_DEPTH` deep (no copy could be published with them), or larger than `maxHeaderBytes` as a
 * copy would carry them. Counted without the headers tidings rewrites in every copy (and the broker's
 * x-death): those are bounded by tidings, so a repeat does not count against the limit what the previous
 * one added.
 */
export function headerRefusal(delivery: Delivery, maxHeaderBytes: number): HeaderRefusal | undefined {
  const tooDeep = (): HeaderRefusal => ({
    error: new InvalidContentError(`The headers are nested more than ${MAX_HEADER_DEPTH} deep`),
    droppedHeaderBytes: delivery.headerBytes ?? 0,
  });
  if (delivery.headersUndecodable === true) return tooDeep();
  let bytes: number;
  try {
    // The plain headers: their depth is the received table's, and the size of a copy where the
    // transport keeps no types (the memory transport keeps headers as given).
    bytes = headerTableBytes(delivery.properties.headers, REWRITTEN_HEADERS);
    // The received table, counted whole, bounds the copy made from it: nothing to measure. (Save for
    // strings that are not UTF-8, which grow as amqplib decodes them; such a copy, refused, is
    // dead-lettered without the headers.)
    if (delivery.headerBytes !== undefined && delivery.headerBytes <= maxHeaderBytes) return undefined;
    // Copies are written from typed headers (a 64-bit integer 5 takes 9 bytes again, not the 2 a plain
    // 5 would): measured as such, exactly.
    const typed = typedOrUndefined(delivery);
    if (typed !== undefined) bytes = headerTableBytes(typed, REWRITTEN_HEADERS);
  } catch (error) {
    if (error instanceof InvalidArgumentError) return tooDeep();
    throw error;
  }
  if (bytes <= maxHeaderBytes) return undefined;
  // Its copy would not fit in a header table once tidings adds its own headers: a repeat or a dead
  // letter with them could never be published, and the message would come back forever.
  return {
    error: new InvalidContentError(
      `The headers encode to ${bytes} bytes; the limit is ${maxHeaderBytes} (maxHeaderBytes)`,
    ),
    droppedHeaderBytes: bytes,
  };
}

/**
 * The headers a copy of the delivery (repeat, dead letter) starts from: typed, so that every value is
 * written with the AMQP type it arrived with, where the transport keeps types; else as delivered.
 */
export function headersToCopy(delivery: Delivery): Record<string, unknown> {
  return typedOrUndefined(delivery) ?? delivery.properties.headers;
}

function typedOrUndefined(delivery: Delivery): Record<string, unknown> | undefined {
  try {
    return delivery.typedHeaders?.();
  } catch {
    // Headers the transport delivered but cannot read typed (never seen): copied as delivered.
    return undefined;
  }
}
