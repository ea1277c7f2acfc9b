// The dead-letter archive's rows: what is inserted for a dead letter, and how a row reads back as an
// ArchivedDeadLetter. PostgreSQL's side of the mapping; the ArchivedDeadLetter type is broker-neutral.
import { HEADERS } from '../../messaging/names.js';
import { plainHeaders } from '../../messaging/typed-headers.js';
import type { MessageProperties } from '../../messaging/transport.js';
import { fromArchiveJson, toArchiveJson } from '../../messaging/dead-letters/archive-json.js';
import { deadLetterFingerprint } from '../../messaging/dead-letters/dead-letter-fingerprint.js';
import type { DeadLetter } from '../../messaging/dead-letters/dead-letters.js';
import type {
  ArchivedDeadLetter,
  ArchivedStatus,
} from '../../messaging/dead-letters/archived-dead-letter.js';
import { INSERT_COLUMNS } from './pg-dead-letter-archive-sql.js';

/** A row as `SELECTED_COLUMNS` returns it. */
export interface ArchiveRecord {
  id: string;
  app_id: string;
  dead_letter_queue: string;
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
  first_failure_at: string | null;
  dead_lettered_at: string | null;
  headers: string;
  properties: string;
  content_type: string | null;
  body: Buffer;
  status: string;
  archived_at: string;
  replayed_at: string | null;
  discarded_at: string | null;
}

const MAX_INTEGER = 2 ** 31 - 1;

/**
 * The parameters of the archive's insert, in `INSERT_COLUMNS` order. Text columns are for reading and
 * filtering, so NUL characters (which PostgreSQL text cannot hold) are dropped from them; the headers and
 * properties keep every value exactly (see `toArchiveJson`), and the body is stored as bytes.
 */
export function archiveParameters(
  deadLetter: DeadLetter,
  source: { appId: string; deadLetterQueue: string },
): unknown[] {
  const headers = deadLetter.properties.headers ?? {};
  const { headers: _headers, ...properties } = deadLetter.properties;
  const stack = text(headers[HEADERS.errorStack]);
  const row: Record<(typeof INSERT_COLUMNS)[number], unknown> = {
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
    first_failure_at: isoTime(headers[HEADERS.firstFailureAt]),
    dead_lettered_at: isoTime(headers[HEADERS.lastFailureAt]) ?? isoTime(deathTime(headers[HEADERS.death])),
    // Typed, so that a replay from the archive writes every header with the type it arrived with.
    headers: JSON.stringify(toArchiveJson(deadLetter.typedHeaders ?? headers)),
    properties: JSON.stringify(toArchiveJson(properties)),
    content_type:
      typeof deadLetter.properties.contentType === 'string' ? clean(deadLetter.properties.contentType) : null,
    body: deadLetter.content,
  };
  return INSERT_COLUMNS.map((column) => row[column]);
}

/** A row read back, with its headers and properties as they were in the queue. */
export function fromArchiveRecord(record: ArchiveRecord): ArchivedDeadLetter {
  const properties = fromArchiveJson(JSON.parse(record.properties)) as MessageProperties;
  const typedHeaders = fromArchiveJson(JSON.parse(record.headers)) as Record<string, unknown>;
  return {
    id: record.id,
    appId: record.app_id,
    deadLetterQueue: record.dead_letter_queue,
    messageId: record.message_id,
    reason: record.reason,
    queue: record.source_queue ?? undefined,
    exchange: record.exchange,
    routingKey: record.routing_key,
    attempts: record.attempts ?? undefined,
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
    content: Buffer.isBuffer(record.body) ? record.body : Buffer.from(record.body),
    properties: { ...properties, headers: plainHeaders(typedHeaders) },
    typedHeaders,
    status: record.status as ArchivedStatus,
    archivedAt: date(record.archived_at)!,
    replayedAt: date(record.replayed_at),
    discardedAt: date(record.discarded_at),
  };
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

function isoTime(value: unknown): string | null {
  const time = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : undefined;
  return time === undefined || Number.isNaN(time.getTime()) ? null : time.toISOString();
}

function date(epochMs: string | null): Date | undefined {
  return epochMs === null ? undefined : new Date(Number(epochMs));
}
