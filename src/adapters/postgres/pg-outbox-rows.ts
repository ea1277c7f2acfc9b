import { fromArchiveJson, toArchiveJson } from '../../messaging/dead-letters/archive-json.js';
import type { MessageProperties } from '../../messaging/transport.js';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { describeValue } from '../../internal/options.js';
import { integerValue, jsonValue } from '../../internal/sql-values.js';
import type { ClaimedRow, OutboxMessage } from '../../messaging/outbox/outbox.js';
import { assertOutboxMessage } from '../../messaging/outbox/outbox-message.js';
import { pgArray, pgByteaArray } from './pg-array.js';
import { assertJsonb, toJson, UUID } from './pg-outbox-checks.js';

// How an outbox message becomes a row and a claimed row a message again.
//
// A row holds the message as encoded for the broker: `body` (bytea) the very bytes, `typed_headers`
// (json) the header table in the dead-letter archive's lossless typed JSON (`Date`s, `Buffer`s, bigints
// and amqplib's typed values survive; `json`, not `jsonb`, so the keys keep their order and the header
// table is written back byte for byte), `properties` (jsonb) the other AMQP properties.
//
// Rows written before `body` existed hold `payload` (jsonb) and `headers` (plain jsonb) instead: they are
// encoded when claimed, as the relay of that version encoded them, so an upgrade loses none of them.

/**
 * What a claim returns per row: everything cast to text or a number in SQL, so that any driver or ORM
 * gives the same (a count or a float may still come as text or a bigint: normalised here).
 */
export interface ClaimedRecord {
  id: string;
  exchange: string;
  routing_key: string;
  /** The body as hex; null in a row of the previous format. */
  body: string | null;
  typed_headers: string | null;
  /** Rows of the previous format: the JSON payload. */
  payload: string | null;
  /** Rows of the previous format: the headers as plain JSON. */
  headers: string | null;
  properties: string;
  attempts: number | string | bigint;
  created_at_ms: number | string;
  lease_token: string | number | bigint;
}

/**
 * Checks every message (a bad one writes nothing) and lays them out as the columns `add` inserts: the
 * parameters $1 … $6 of `PgOutboxStatements.add`, each an array literal.
 */
export function addParameters(messages: readonly OutboxMessage[]): string[] {
  const ids: string[] = [];
  const exchanges: string[] = [];
  const routingKeys: string[] = [];
  const bodies: Uint8Array[] = [];
  const typedHeaders: (string | null)[] = [];
  const properties: string[] = [];
  for (const [index, message] of messages.entries()) {
    const where = `add: messages[${index}]`;
    assertOutboxMessage(message, where);
    if (typeof message.id !== 'string' || !UUID.test(message.id)) {
      throw new InvalidArgumentError(`${where}.id must be a UUID, got ${describeValue(message.id)}`);
    }
    // The id is the message id; the headers have a column of their own, readable in SQL
    // (`typed_headers->>'x-tidings-origin'`).
    const { headers, messageId: _ignored, ...rest } = (message.properties ?? {}) as MessageProperties;
    ids.push(message.id);
    exchanges.push(message.exchange);
    routingKeys.push(message.routingKey);
    bodies.push(message.content);
    typedHeaders.push(headers == null ? null : JSON.stringify(toArchiveJson(headers)));
    properties.push(assertJsonb(toJson(rest, `${where}.properties`), `${where}.properties`));
  }
  return [
    pgArray(ids),
    pgArray(exchanges),
    pgArray(routingKeys),
    pgByteaArray(bodies),
    pgArray(typedHeaders),
    pgArray(properties),
  ];
}

export function toClaimedRow(record: ClaimedRecord): ClaimedRow {
  const properties = jsonValue(record.properties) as Omit<MessageProperties, 'messageId'>;
  let content: Buffer;
  if (record.body !== null) {
    content = Buffer.from(record.body, 'hex');
    if (record.typed_headers !== null) {
      properties.headers = fromArchiveJson(jsonValue(record.typed_headers)) as Record<string, unknown>;
    }
  } else {
    // A row of the previous format: encoded now, exactly as that version's relay did.
    content = Buffer.from(JSON.stringify(JSON.parse(record.payload ?? 'null')), 'utf8');
    if (record.headers !== null) properties.headers = jsonValue(record.headers) as Record<string, unknown>;
  }
  return {
    id: record.id,
    exchange: record.exchange,
    routingKey: record.routing_key,
    content,
    properties,
    attempts: integerValue(record.attempts),
    createdAt: new Date(Math.floor(Number(record.created_at_ms))),
    leaseToken: String(record.lease_token),
  };
}
