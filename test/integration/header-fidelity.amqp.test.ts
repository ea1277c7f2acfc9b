// Header fidelity on RabbitMQ, fed by a client other than amqplib (python3-pika, Debian's package): a
// message carrying every AMQP field type is repeated, dead-lettered, replayed by DeadLetters, dead-lettered
// again, archived in PostgreSQL and replayed from the archive; pika reads each copy back where it rests,
// and every original header must be the very bytes it was published with (type tag and value).
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgDeadLetterArchive } from '../../src/adapters/postgres/pg-dead-letter-archive.js';
import { DeadLetters, HEADERS, Consumer, waitQueueName, type SettledOutcome } from '../../src/index.js';
import { AmqpTransport } from '../../src/rabbitmq.js';
import { EVERY_TYPE, field, long, table } from '../bridge/field-table-samples.js';
import { AMQP_URL, DATABASE_URL } from './servers.js';
import { deleteDeclared, subscriberNames } from '../helpers/declared-names.js';

/** A python with pika: Debian's (python3-pika), else whatever python3 is first on the PATH. */
function pythonWithPika(): string {
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    if (spawnSync(candidate, ['-c', 'import pika']).status === 0) return candidate;
  }
  throw new Error('No python3 with pika: apt-get install -y python3-pika (scripts/services.sh does)');
}

class Pika {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: Interface;
  readonly #answers: ((line: string) => void)[] = [];

  constructor() {
    const script = fileURLToPath(new URL('./fixtures/pika-client.py', import.meta.url));
    this.#child = spawn(pythonWithPika(), [script, AMQP_URL]);
    this.#child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    this.#lines = createInterface({ input: this.#child.stdout });
    this.#lines.on('line', (line) => this.#answers.shift()?.(line));
    this.#child.on('exit', (code) => {
      for (const answer of this.#answers.splice(0))
        answer(JSON.stringify({ error: `pika exited (${code})` }));
    });
  }

  ready(): Promise<unknown> {
    return new Promise((resolve, reject) =>
      this.#answers.push((line) => {
        const parsed = JSON.parse(line) as { error?: string };
        if (parsed.error === undefined) resolve(parsed);
        else reject(new Error(parsed.error));
      }),
    );
  }

  async send<T>(command: object): Promise<T> {
    const answer = new Promise<string>((resolve) => this.#answers.push(resolve));
    this.#child.stdin.write(`${JSON.stringify(command)}\n`);
    const parsed = JSON.parse(await answer) as T & { error?: string };
    if (parsed.error !== undefined) throw new Error(parsed.error);
    return parsed;
  }

  publish(queue: string, messageId: string, headers: [string, Buffer][]): Promise<unknown> {
    const hex = headers.map(([key, value]) => [key, value.toString('hex')]);
    const body = JSON.stringify({ orderId: messageId });
    return this.send({ op: 'publish', queue, messageId, body, headers: hex });
  }

  /** The header table of the first message in `queue`, entry by entry, as hex; the message stays. */
  async peek(queue: string): Promise<Map<string, string>> {
    const answer = await this.send<{ found: boolean; headers?: [string, string][] }>({ op: 'get', queue });
    if (!answer.found) throw new Error(`pika found no message in ${queue}`);
    return new Map(answer.headers);
  }

  close(): void {
    this.#child.stdin.end();
  }
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const ORIGINAL = new Map(EVERY_TYPE.map(([key, value]) => [key, value.toString('hex')]));

/** Every original header, in a copy, with the same type tag and bytes (in tables, in any key order). */
function expectEveryHeaderKept(copy: Map<string, string>, which: string, anyKeyOrder = false): void {
  for (const [key, hex] of ORIGINAL) {
    const copied = copy.get(key);
    if (anyKeyOrder && copied !== undefined)
      expect(keysSorted(copied), `${which}: ${key}`).toBe(keysSorted(hex));
    else expect(copied, `${which}: ${key}`).toBe(hex);
  }
}

const FIXED: Record<string, number> = {
  t: 1,
  b: 1,
  B: 1,
  s: 2,
  u: 2,
  I: 4,
  i: 4,
  l: 8,
  f: 4,
  d: 8,
  D: 5,
  T: 8,
  V: 0,
};

/** A field value (hex) with the entries of every table in it sorted by key: PostgreSQL's jsonb keeps no key order. */
function keysSorted(hex: string): string {
  const bytes = Buffer.from(hex, 'hex');
  const valueEnd = (at: number): number => {
    const tag = String.fromCharCode(bytes[at]!);
    return FIXED[tag] !== undefined ? at + 1 + FIXED[tag] : at + 5 + bytes.readUInt32BE(at + 1);
  };
  const sortValue = (at: number): string => {
    const tag = String.fromCharCode(bytes[at]!);
    const end = valueEnd(at);
    if (tag !== 'F' && tag !== 'A') return bytes.subarray(at, end).toString('hex');
    const parts: string[] = [];
    for (let offset = at + 5; offset < end;) {
      let key = '';
      if (tag === 'F') {
        key = bytes.subarray(offset, offset + 1 + bytes[offset]!).toString('hex');
        offset += 1 + bytes[offset]!;
      }
      parts.push(key + sortValue(offset));
      offset = valueEnd(offset);
    }
    return `${tag}(${(tag === 'F' ? parts.sort() : parts).join(',')})`;
  };
  return sortValue(0);
}

describe('header fidelity on RabbitMQ, published by python3-pika', () => {
  const id = randomUUID().slice(0, 8);
  const appId = `fidelity-${id}`;
  const queue = `${appId}.orders`;
  const exchange = `fidelity${id}`;
  const refusals = `${appId}.refusals`;
  const deadLetterQueue = `${appId}.dead-letters`;
  const deadLetterExchange = `${appId}.dead-letter`;
  const delayMs = 3000;
  const transport = new AmqpTransport({ url: AMQP_URL });
  const pool = new pg.Pool({ connectionString: DATABASE_URL });
  const archiveTable = `fidelity_${id}`;
  let pika: Pika;

  beforeAll(async () => {
    pika = new Pika();
    await pika.ready();
  });

  afterAll(async () => {
    pika?.close();
    // The refusals' subscriber has the default repeat delays: its wait queues go too.
    await deleteDeclared(
      transport,
      subscriberNames({ queue: refusals, bindingKeys: [`${exchange}.placed`], appId }),
    );
    for (const name of [queue, waitQueueName(queue, delayMs), deadLetterQueue])
      await transport.deleteQueue(name).catch(() => {});
    for (const name of [exchange, deadLetterExchange]) await transport.deleteExchange(name).catch(() => {});
    await transport.close();
    await pool.query(`DROP TABLE IF EXISTS ${archiveTable}`).catch(() => {});
    await pool.end();
  });

  function subscriber(maxAttempts: number) {
    const settled: SettledOutcome[] = [];
    const seen: Readonly<Record<string, unknown>>[] = [];
    const created = new Consumer(transport, {
      queue,
      bindingKeys: [`${exchange}.placed`],
      appId,
      maxAttempts,
      repeatDelaysMs: [delayMs],
    });
    created.on('settled', (outcome) => settled.push(outcome));
    const started = created.consume(({ headers }) => {
      seen.push(headers);
      throw new Error('the handler fails');
    });
    return { subscriber: created, settled, seen, started };
  }

  it('keeps every field type in a repeat, a dead letter, a replay and a replay from the archive', async () => {
    const first = subscriber(2);
    await first.started;
    const messageId = randomUUID();
    await pika.publish(queue, messageId, EVERY_TYPE);

    // The repeat, waiting in its wait queue.
    await waitFor('the repeat', () => first.settled.find((s) => s.outcome === 'repeated'));
    expectEveryHeaderKept(await pika.peek(waitQueueName(queue, delayMs)), 'repeat');

    // Back through the broker's dead-lettering (which re-encodes the headers, adding x-death), then
    // dead-lettered by tidings.
    await waitFor('the dead letter', () => first.settled.find((s) => s.outcome === 'dead-lettered'));
    expectEveryHeaderKept(await pika.peek(deadLetterQueue), 'dead letter');
    await first.subscriber.close();

    // What the handler saw, both times: plain values, a timestamp as a Date.
    const [seen] = first.seen;
    expect(seen?.['timestamp']).toEqual(new Date(1_700_000_000_000));
    expect(seen?.['uint16']).toBe(60_000);
    expect(seen?.['int64-small']).toBe(-5);
    expect(seen?.['bytes']).toEqual(Buffer.from([0, 255, 16]));
    expect(seen?.['decimal']).toEqual({ '!': 'decimal', value: { places: 2, digits: 12_345 } });
    for (const key of ORIGINAL.keys()) expect(first.seen[1]?.[key], key).toEqual(seen?.[key]);

    // Replayed by DeadLetters.
    const deadLetters = new DeadLetters(transport, { appId });
    expect(await deadLetters.replay({ queue })).toMatchObject({ replayed: 1, failed: [] });
    expectEveryHeaderKept(await pika.peek(queue), 'replay');

    // The replay dead-lettered again, archived, and replayed from the archive.
    const second = subscriber(1);
    await second.started;
    await waitFor('the second dead letter', () => second.settled.find((s) => s.outcome === 'dead-lettered'));
    await second.subscriber.close();
    expectEveryHeaderKept(await pika.peek(deadLetterQueue), 'dead letter of the replay');
    const archive = new PgDeadLetterArchive({ pool, transport, appId, table: archiveTable });
    await archive.ensureSchema();
    expect(await archive.archive({ queue })).toMatchObject({ archived: 1 });
    const [row] = await archive.list({ queue });
    expect(row?.properties.headers['timestamp']).toEqual(new Date(1_700_000_000_000));
    expect(row?.properties.headers['uint16']).toBe(60_000);
    expect(row?.typedHeaders['uint16']).toEqual({ '!': 'uint16', value: 60_000 });
    expect(await archive.replay({ ids: [row!.id] })).toMatchObject({ replayed: 1 });
    expectEveryHeaderKept(await pika.peek(queue), 'replay from the archive', true);
    expect(await transport.purgeQueue(queue)).toBe(1);
  });

  it('refuses headers nested too deeply or too large as invalid-content, and the connection stays up', async () => {
    const disconnects: unknown[] = [];
    transport.on('disconnected', (info) => disconnects.push(info));
    const nested = (depth: number): Buffer => {
      // Built inside out: table n holds one key "a" whose value is table n - 1.
      let inner: Buffer = Buffer.alloc(0);
      for (let level = 0; level < depth; level++) inner = table([['a', field('F', long(inner))]]);
      return field('F', long(inner));
    };
    const bad = new Map<string, [string, Buffer][]>([
      [
        'nested 100 deep',
        [
          ['deep', nested(100)],
          ['kept', field('t', Buffer.from([1]))],
        ],
      ],
      ['nested 15000 deep', [['deep', nested(15_000)]]],
      ['80 KB of headers', [['blob', field('S', long(Buffer.alloc(80_000, 'h')))]]],
    ]);
    const handled: string[] = [];
    // A subscriber whose handler succeeds: only the good message may reach it.
    const good = new Consumer(transport, { queue: refusals, bindingKeys: [`${exchange}.placed`], appId });
    const settled: SettledOutcome[] = [];
    good.on('settled', (outcome) => settled.push(outcome));
    await good.consume(({ messageId }) => void handled.push(messageId));
    const ids = new Map<string, string>();
    for (const [name, headers] of bad) {
      const messageId = randomUUID();
      ids.set(messageId, name);
      await pika.publish(refusals, messageId, headers);
    }
    const goodId = randomUUID();
    await pika.publish(refusals, goodId, [['fine', field('t', Buffer.from([1]))]]);
    await waitFor('every message settled', () => (settled.length >= bad.size + 1 ? true : undefined));
    await good.close();

    expect(handled.map((handledId) => ids.get(handledId) ?? 'the good one')).toEqual(['the good one']);
    for (const outcome of settled.filter((s) => s.messageId !== goodId)) {
      expect(outcome, ids.get(outcome.messageId)).toMatchObject({
        outcome: 'dead-lettered',
        reason: 'invalid-content',
        attempt: 1,
      });
    }
    const letters = await new DeadLetters(transport, { appId }).list({ queue: refusals });
    expect(letters.map((letter) => ids.get(letter.messageId)).sort()).toEqual([...bad.keys()].sort());
    for (const letter of letters) {
      const name = ids.get(letter.messageId)!;
      const headers = letter.properties.headers ?? {};
      expect(headers['deep'] ?? headers['blob'] ?? headers['kept'], name).toBeUndefined();
      expect(headers[HEADERS.droppedHeadersBytes], name).toBeGreaterThan(100);
      expect(letter.error?.message, name).toMatch(
        name.startsWith('80 KB')
          ? /^The headers encode to 800\d\d bytes; the limit is 32768/
          : /^The headers are nested more than 64 deep$/,
      );
    }
    expect(disconnects).toEqual([]);
    await new DeadLetters(transport, { appId }).purge({ queue: refusals });
  });
});
