// The dead-letter archive's rows, whichever database holds them: what is stored for a dead letter, and
// how a stored row reads back as an ArchivedDeadLetter. Each store only formats times and binds
// parameters its own way (see pg-dead-letter-archive-row.ts, mysql-dead-letter-archive-row.ts).
import { HEADERS } from '../names.js';
import { plainHeaders } from '../typed-headers.js';
import type { MessageProperties } from '../transport.js';
import { fromArchiveJson, toArchiveJson } from './archive-json.js';
import type { ArchivedDeadLetter, ArchivedStatus } from './archived-dead-letter.js';
import { deadLetterFingerprint } from './dead-letter-fingerprint.js';
import type { DeadLetter } from './dead-letters.js';

/** The columns a dead letter is inserted with, in the order the stores bind them. */
export const ARCHIVE_COLUMNS = [
  'app_id',
  'dead_letter_queue',
  'fingerprint',
  'message_id',
  'source_queue',
  'exchange',
  'routing_key',
  'reason',
  'attempts',
  'error_name',
  'error_message',
  'error_stack',
  'consumer_app',
  'first_failure_at',
  'dead_lettered_at',
  'headers',
  'properties',
  'content_type',
  'body',
] as const;

export type ArchiveColumn = (typeof ARCHIVE_COLUMNS)[number];

/** What is inserted for one dead letter. */
export interface ArchiveRow {
  app_id: string;
  dead_letter_queue: string;
  /** See `deadLetterFingerprint`: unique per application, it makes a second archiving a duplicate. */
  fingerprint: string;
  message_id: string;
  source_queue: string | null;
  exchange: string;
  routing_key: string;
  reason: string;
  attempts: number | null;
  error_name: string | null;
  error_message: string | null;
  error_stack: string | null;
  consumer_app: string | null;
  first_failure_at: Date | null;
  dead_lettered_at: Date | null;
  /** The typed header table as JSON text (see `toArchiveJson`). */
  headers: string;
  /** The other properties as JSON text. */
  properties: string;
  content_type: string | null;
  body: Buffer;
}

/**
 * A row as a store's SELECT returns it, as loosely as drivers give it: ids and counts as text, number
 * or bigint; times as milliseconds since the epoch (UTC); JSON as text or already parsed; bytes as a
 * `Buffer` or `Uint8Array`.
 */
export interface ArchiveRecord {
  id: string | number | bigint;
  app_id: string;
  dead_letter_queue: string;
  message_id: string;
  source_queue: string | null;
  exchange: string;
  routing_key: string;
  reason: string;
  attempts: number | string | null;
  error_name: string | null;
  error_message: string | null;
  error_stack: string | null;
  consumer_app: string | null;
  first_failure_at: EpochMs | null;
  dead_lettered_at: EpochMs | null;
  headers: string | object;
  properties: string | object;
  content_type: string | null;
  body: Buffer | Uint8Array;
  status: string;
  archived_at: EpochMs;
  replayed_at: EpochMs | null;
  discarded_at: EpochMs | null;
}

type EpochMs = string | number | bigint;

/** INTEGER on PostgreSQL, INT on MySQL: a larger attempt count is stored as unknown. */
const MAX_INTEGER = 2 ** 31 - 1;

/**
 * The row of a dead letter. Text columns are for reading and filtering, so NUL characters (which
 * PostgreSQL text cannot hold) are dropped from them; the headers and properties keep every value
 * exactly (see `toArchiveJson`), and the body is stored as bytes.
 */
export function archiveRow(
  deadLetter: DeadLetter,
  source: { appId: string; deadLetterQueue: string },
): ArchiveRow {
  const headers = deadLetter.properties.headers ?? {};
  const { headers: _headers, ...properties } = deadLetter.properties;
  const stack = text(headers[HEADERS.errorStack]);
  return {
    app_id: clean(source.appId),
    dead_letter_queue: clean(source.deadLetterQueue),
    fingerprint: deadLetterFingerprint(deadLetter),
    message_id: clean(deadLetter.messageId),
    source_queue: deadLetter.queue === undefined ? null : clean(deadLetter.queue),
    exchange: clean(deadLetter.exchange),
    routing_key: clean(deadLetter.routingKey),
    reason: clean(deadLetter.reason),
    attempts:
      deadLetter.attempts !== undefined &&
      Number.isSafeInteger(deadLetter.attempts) &&
      Math.abs(deadLetter.attempts) <= MAX_INTEGER
        ? deadLetter.attempts
        : null,
    error_name: deadLetter.error === undefined ? null : clean(deadLetter.error.name),
    error_message: deadLetter.error === undefined ? null : clean(deadLetter.error.message),
    error_stack: stack === undefined || stack === '' ? null : stack,
    consumer_app: deadLetter.consumerApp === undefined ? null : clean(deadLetter.consumerApp),
    first_failure_at: time(headers[HEADERS.firstFailureAt]),
    dead_lettered_at: time(headers[HEADERS.lastFailureAt]) ?? time(deathTime(headers[HEADERS.death])),
    // Typed, so that a replay from the archive writes every header with the type it arrived with.
    headers: JSON.stringify(toArchiveJson(deadLetter.typedHeaders ?? headers)),
    properties: JSON.stringify(toArchiveJson(properties)),
    content_type:
      typeof deadLetter.properties.contentType === 'string' ? clean(deadLetter.properties.contentType) : null,
    body: deadLetter.content,
  };
}

/** A row read back, with its headers and properties as they were in the queue. */
export function fromArchiveRecord(record: ArchiveRecord): ArchivedDeadLetter {
  const properties = fromArchiveJson(parseJson(record.properties)) as MessageProperties;
  const typedHeaders = fromArchiveJson(parseJson(record.headers)) as Record<string, unknown>;
  const body = record.body;
  return {
    id: String(record.id),
    appId: record.app_id,
    deadLetterQueue: record.dead_letter_queue,
    messageId: record.message_id,
    reason: record.reason,
    queue: record.source_queue ?? undefined,
    exchange: record.exchange,
    routingKey: record.routing_key,
    attempts: record.attempts === null ? undefined : Number(record.attempts),
    error:
      record.error_name === null
        ? undefined
        : {
            name: record.error_name,
            message: record.error_message ?? '',
            stack: record.error_stack ?? undefined,
          },
    consumerApp: record.consumer_app ?? undefined,
    firstFailureAt: date(record.first_failure_at),
    deadLetteredAt: date(record.dead_lettered_at),
    contentType: record.content_type ?? undefined,
    content: Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength),
    properties: { ...properties, headers: plainHeaders(typedHeaders) },
    typedHeaders,
    status: record.status as ArchivedStatus,
    archivedAt: date(record.archived_at)!,
    replayedAt: date(record.replayed_at),
    discardedAt: date(record.discarded_at),
  };
}

/** Drivers give a JSON column as text, a few as an already parsed value. */
function parseJson(value: string | object): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? clean(value) : undefined;
}

function clean(value: string): string {
  return value.includes('\0') ? value.replaceAll('\0', '') : value;
}

/** The time of the newest `x-death` entry: a `Date` from tidings' transports, amqplib's tagged timestamp otherwise. */
function deathTime(value: unknown): unknown {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const time = (value[0] as { time?: unknown } | null)?.time;
  if (typeof time === 'object' && time !== null && (time as { '!'?: unknown })['!'] === 'timestamp') {
    return new Date(Number((time as { value?: unknown }).value) * 1000);
  }
  return time;
}

function time(value: unknown): Date | null {
  const parsed = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : undefined;
  return parsed === undefined || Number.isNaN(parsed.getTime()) ? null : parsed;
}

function date(epochMs: EpochMs | null): Date | undefined {
  return epochMs === null ? undefined : new Date(Number(epochMs));
}
