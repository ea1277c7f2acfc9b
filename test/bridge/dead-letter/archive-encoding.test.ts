// The pure parts of the dead-letter archive: the lossless JSON of headers, the fingerprint that makes
// re-archiving safe, the row a dead letter becomes (and what a replay sends from it), the table names.
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  fromArchiveJson,
  toArchiveJson,
} from '../../../src/messaging/dead-letters/archive-json.js';
import {
  archiveParameters,
  fromArchiveRecord,
  type ArchiveRecord,
} from '../../../src/adapters/postgres/pg-dead-letter-archive-row.js';
import { deadLetterFingerprint } from '../../../src/messaging/dead-letters/dead-letter-fingerprint.js';
import { describeDeadLetter } from '../../../src/messaging/dead-letters/dead-letters.js';
import {
  INSERT_COLUMNS,
  pgDeadLetterArchiveNames,
  pgDeadLetterArchiveSchemaSql,
} from '../../../src/adapters/postgres/pg-dead-letter-archive-sql.js';
import { replayMessage } from '../../../src/messaging/dead-letters/replay-message.js';
import { HEADERS } from '../../../src/messaging/names.js';
import type { Delivery, MessageProperties } from '../../../src/messaging/transport.js';
import { InvalidArgumentError } from '../../../src/errors/invalid-argument-error.js';

/** What PostgreSQL does to a jsonb value: parses the text and prints it again (key order may change). */
const throughJsonb = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

function delivery(
  content: Buffer,
  properties: MessageProperties & { headers: Record<string, unknown> },
): Delivery {
  return {
    queue: 'app.dead-letters',
    exchange: 'app.dead-letter',
    routingKey: 'order.placed',
    redelivered: false,
    content,
    properties,
    ack: () => true,
    nack: () => true,
  };
}

const tidingsDeadLetter = (): Delivery =>
  delivery(Buffer.from('{"orderId":"o-1"}'), {
    contentType: 'application/json',
    deliveryMode: 2,
    messageId: '0190a1b2-0000-7000-8000-000000000001',
    appId: 'shop',
    type: 'order.placed',
    timestamp: 1_700_000_000,
    correlationId: 'c-1',
    headers: {
      'x-tidings-origin': 'shop',
      [HEADERS.deadReason]: 'repeats-exhausted',
      [HEADERS.errorName]: 'Error',
      [HEADERS.errorMessage]: 'boom',
      [HEADERS.errorStack]: 'Error: boom\n    at handler (billing.ts:1:1)',
      [HEADERS.attempts]: 3,
      [HEADERS.firstFailureAt]: '2024-05-01T10:00:00.000Z',
      [HEADERS.lastFailureAt]: '2024-05-01T10:00:12.345Z',
      [HEADERS.originalQueue]: 'billing.orders',
      [HEADERS.originalExchange]: 'order',
      [HEADERS.originalRoutingKey]: 'order.placed',
      [HEADERS.consumerApp]: 'billing',
      'span-id': 'abc',
    },
  });

/** The record the archive's SELECT would return for the row these parameters insert. */
function storedRecord(parameters: unknown[], id = '7'): ArchiveRecord {
  const row = Object.fromEntries(INSERT_COLUMNS.map((column, index) => [column, parameters[index]]));
  const epoch = (value: unknown): string | null =>
    value === null ? null : String(new Date(value as string).getTime());
  return {
    id,
    app_id: row['app_id'] as string,
    dead_letter_queue: row['dead_letter_queue'] as string,
    message_id: row['message_id'] as string,
    source_queue: row['source_queue'] as string | null,
    exchange: row['exchange'] as string,
    routing_key: row['routing_key'] as string,
    reason: row['reason'] as string,
    attempts: row['attempts'] as number | null,
    error_name: row['error_name'] as string | null,
    error_message: row['error_message'] as string | null,
    error_stack: row['error_stack'] as string | null,
    consumer_app: row['consumer_app'] as string | null,
    first_failure_at: epoch(row['first_failure_at']),
    dead_lettered_at: epoch(row['dead_lettered_at']),
    headers: JSON.stringify(throughJsonb(JSON.parse(row['headers'] as string))),
    properties: JSON.stringify(throughJsonb(JSON.parse(row['properties'] as string))),
    content_type: row['content_type'] as string | null,
    body: Buffer.from(row['body'] as Buffer),
    status: 'pending',
    archived_at: String(Date.now()),
    replayed_at: null,
    discarded_at: null,
  };
}

describe('toArchiveJson / fromArchiveJson', () => {
  it('keeps every value an AMQP header can hold, through jsonb, and nothing jsonb refuses gets in', () => {
    const headers: Record<string, unknown> = {
      text: 'plain',
      count: 42,
      ratio: 0.25,
      flag: true,
      nothing: null,
      bytes: Buffer.from([0, 1, 2, 0xff, 0xfe]),
      when: new Date('2024-05-01T10:00:00.000Z'),
      notANumber: Number.NaN,
      infinite: Number.POSITIVE_INFINITY,
      negativeInfinite: Number.NEGATIVE_INFINITY,
      negativeZero: -0,
      huge: 12345678901234567890n,
      withNul: 'a\u0000b',
      'key\u0000with nul': 'v',
      lookalike: { $bytes: 'not base64, a real table' },
      ['__proto__']: 'an own key, not a prototype',
      'x-death': [
        {
          count: 2,
          reason: 'expired',
          queue: 'q',
          time: new Date('2024-05-01T10:00:01.000Z'),
          'routing-keys': ['a.b'],
        },
      ],
      decimal: { '!': 'decimal', value: { places: 2, digits: 1234 } },
    };
    const text = JSON.stringify(toArchiveJson(headers));
    expect(text).not.toContain('\\u0000');
    const back = fromArchiveJson(throughJsonb(JSON.parse(text))) as Record<string, unknown>;
    expect(back).toEqual(headers);
    expect(Buffer.isBuffer(back['bytes'])).toBe(true);
    expect(back['when']).toBeInstanceOf(Date);
    expect(Object.is(back['negativeZero'], -0)).toBe(true);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.keys(back)).toContain('__proto__');
  });

  it('leaves plain headers readable for SQL', () => {
    expect(toArchiveJson({ [HEADERS.deadReason]: 'expired', [HEADERS.attempts]: 5, list: ['a', 1] })).toEqual(
      {
        [HEADERS.deadReason]: 'expired',
        [HEADERS.attempts]: 5,
        list: ['a', 1],
      },
    );
  });

  it('drops what JSON drops: undefined and functions in tables, null in arrays', () => {
    expect(toArchiveJson({ a: undefined, b: () => 1, c: [undefined] })).toEqual({ c: [null] });
  });

  it('canonical JSON does not depend on key order', () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: [3, { f: 4, e: 5 }] } })).toBe(
      canonicalJson({ a: { c: [3, { e: 5, f: 4 }], d: 2 }, b: 1 }),
    );
  });
});

describe('deadLetterFingerprint', () => {
  const base = tidingsDeadLetter();

  it('is the same for the same dead letter delivered again, whatever the header order or delivery count', () => {
    const reordered = delivery(Buffer.from(base.content), {
      ...base.properties,
      headers: {
        ...Object.fromEntries(Object.entries(base.properties.headers).reverse()),
        'x-delivery-count': 3,
      },
    });
    expect(deadLetterFingerprint(reordered)).toBe(deadLetterFingerprint(base));
    expect(deadLetterFingerprint(base)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('differs for another dead-lettering of the same message, another body, or another property', () => {
    const again = delivery(base.content, {
      ...base.properties,
      headers: { ...base.properties.headers, [HEADERS.lastFailureAt]: '2024-05-01T11:00:00.000Z' },
    });
    const otherBody = delivery(Buffer.from('{"orderId":"o-2"}'), base.properties);
    const otherProperty = delivery(base.content, { ...base.properties, correlationId: 'c-2' });
    const fingerprints = new Set([base, again, otherBody, otherProperty].map(deadLetterFingerprint));
    expect(fingerprints.size).toBe(4);
  });
});

describe('an archived row', () => {
  const source = { appId: 'billing', deadLetterQueue: 'billing.dead-letters' };

  it('records what the dead letter says about itself', () => {
    const row = fromArchiveRecord(
      storedRecord(archiveParameters(describeDeadLetter(tidingsDeadLetter()), source)),
    );
    expect(row).toMatchObject({
      appId: 'billing',
      deadLetterQueue: 'billing.dead-letters',
      messageId: '0190a1b2-0000-7000-8000-000000000001',
      reason: 'repeats-exhausted',
      queue: 'billing.orders',
      exchange: 'order',
      routingKey: 'order.placed',
      attempts: 3,
      error: { name: 'Error', message: 'boom', stack: 'Error: boom\n    at handler (billing.ts:1:1)' },
      consumerApp: 'billing',
      firstFailureAt: new Date('2024-05-01T10:00:00.000Z'),
      deadLetteredAt: new Date('2024-05-01T10:00:12.345Z'),
      contentType: 'application/json',
      status: 'pending',
    });
  });

  it('replays exactly what DeadLetters.replay sends from the queue, for a binary, broker-made dead letter', () => {
    const original = delivery(Buffer.from([0x00, 0xff, 0x10, 0x80, 0x00]), {
      contentType: 'application/octet-stream',
      messageId: 'm-1',
      expiration: '5000',
      headers: {
        'x-death': [
          {
            count: 1,
            reason: 'expired',
            queue: 'billing.orders',
            exchange: 'order',
            'routing-keys': ['order.placed'],
            time: new Date('2024-05-01T10:00:01.000Z'),
          },
        ],
        'x-first-death-reason': 'expired',
        signature: Buffer.from([1, 2, 3]),
        note: 'nul\u0000inside',
      },
    });
    const deadLetter = describeDeadLetter(original);
    const row = fromArchiveRecord(storedRecord(archiveParameters(deadLetter, source)));
    expect(row.reason).toBe('expired');
    expect(row.deadLetteredAt).toEqual(new Date('2024-05-01T10:00:01.000Z'));
    expect(row.attempts).toBeUndefined();
    expect(row.content.equals(original.content)).toBe(true);
    expect(row.properties).toEqual(original.properties);
    expect(replayMessage({ ...row, queue: row.queue! })).toEqual(
      replayMessage({ ...deadLetter, queue: deadLetter.queue! }),
    );
  });

  it('drops NUL from the text columns only', () => {
    const original = tidingsDeadLetter();
    original.properties.headers[HEADERS.errorMessage] = 'bad\u0000byte';
    const parameters = archiveParameters(describeDeadLetter(original), source);
    expect(parameters[INSERT_COLUMNS.indexOf('error_message')]).toBe('badbyte');
    const row = fromArchiveRecord(storedRecord(parameters));
    expect(row.properties.headers[HEADERS.errorMessage]).toBe('bad\u0000byte');
  });
});

describe('replayMessage', () => {
  it('goes to the original queue only, attempts reset, TTL removed, original routing and replays recorded', () => {
    const deadLetter = describeDeadLetter(tidingsDeadLetter());
    const message = replayMessage({ ...deadLetter, queue: 'billing.orders' });
    expect(message).toMatchObject({
      exchange: '',
      routingKey: 'billing.orders',
      content: deadLetter.content,
    });
    expect(message.properties.expiration).toBeUndefined();
    expect(message.properties.headers).toEqual({
      'x-tidings-origin': 'shop',
      'span-id': 'abc',
      [HEADERS.originalExchange]: 'order',
      [HEADERS.originalRoutingKey]: 'order.placed',
      [HEADERS.replays]: 1,
    });
    // A second replay of the same message counts on.
    const again = replayMessage({ ...deadLetter, queue: 'billing.orders', properties: message.properties });
    expect(again.properties.headers?.[HEADERS.replays]).toBe(2);
  });
});

describe('archive table names', () => {
  it('validates and quotes them; the DDL uses them', () => {
    expect(pgDeadLetterArchiveNames({ schema: 'ops', table: 'dead' }).qualifiedTable).toBe('"ops"."dead"');
    expect(pgDeadLetterArchiveNames().qualifiedTable).toBe('"public"."tidings_dead_letters"');
    for (const table of ['Dead', 'dead;drop', '1dead', 'x'.repeat(48)]) {
      expect(() => pgDeadLetterArchiveNames({ table })).toThrow(InvalidArgumentError);
    }
    expect(pgDeadLetterArchiveNames({ table: 'x'.repeat(47) }).table).toHaveLength(47);
    const sql = pgDeadLetterArchiveSchemaSql({ table: 'dead' });
    expect(sql).toContain('CREATE TABLE IF NOT EXISTS "public"."dead"');
    expect(sql).toContain('CONSTRAINT "dead_fingerprint_key" UNIQUE (app_id, fingerprint)');
    expect(() => pgDeadLetterArchiveSchemaSql({ tabel: 'x' } as never)).toThrow(/unknown option "tabel"/);
  });
});
