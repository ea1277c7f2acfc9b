// The dead-letter archive's behaviour, the same on every database: PgDeadLetterArchive and
// MysqlDeadLetterArchive each run it (pg-dead-letter-archive.test.ts, mysql-dead-letter-archive.test.ts)
// against RabbitMQ and their database. Dead letters move from the queue into rows that say everything
// about them (byte-exact bodies included), and are replayed from there to their queue.
import { describe, expect, it } from 'vitest';
import { DeadLetters, HEADERS } from '../../../src/index.js';
import type { PgDeadLetterArchive } from '../../../src/postgres.js';
import { waitFor, type Cleanups } from '../faults/fault-helpers.js';
import { MAX_ATTEMPTS, scene, type Scene } from './archive-helpers.js';

/** What both archives offer (their `names` and options aside). */
export type Archive = Pick<
  PgDeadLetterArchive,
  'ensureSchema' | 'archive' | 'list' | 'get' | 'counts' | 'replay' | 'discard' | 'purge' | 'deadLetterNames'
>;

/** A stored row's columns, as SQL reads them. */
export interface SqlRow {
  body: Buffer;
  reason: string;
  /** The dead reason header, read out of the stored headers by the database's JSON functions. */
  from_header: string;
  status: string;
}

export interface ArchiveUnderTest extends Archive {
  /** The rows of a message id, read with SQL. */
  sqlRow(messageId: string): Promise<SqlRow[]>;
}

export interface ArchiveBackend {
  name: string;
  /** An archive of the scene's application in a fresh table of this database (dropped by `cleanups`). */
  open(s: Scene): Promise<ArchiveUnderTest>;
}

/** Bytes no JSON or UTF-8 decoding survives: NUL, invalid UTF-8, a lone continuation byte. */
export const BINARY = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x00, 0x41, 0xc3, 0x28, 0x0a, 0x00]);

export function archiveContract(backend: ArchiveBackend, cleanups: Cleanups): void {
  describe(`${backend.name}: the archive contract`, () => {
    it('archives dead letters into rows with their reason, attempts, error, headers and exact body; the queue is then empty', async () => {
      const s = await scene(cleanups, 'rows');
      const [jsonId] = await s.deadLetter({ n: 1 });
      await s.deadLetterRaw(BINARY, {
        messageId: 'binary-1',
        contentType: 'application/octet-stream',
        headers: { 'x-signature': Buffer.from([1, 2, 3, 0]), 'x-note': 'kept' },
      });
      expect(await s.deadLetterCount()).toBe(2);

      const archive = await backend.open(s);
      await archive.ensureSchema();
      await archive.ensureSchema(); // idempotent
      const progress: string[] = [];
      const summary = await archive.archive({
        onProgress: ({ done, total, outcome, deadLetter }) =>
          progress.push(`${done}/${total} ${outcome} ${deadLetter.messageId}`),
      });
      expect(summary).toEqual({ scanned: 2, archived: 2, duplicates: 0, skipped: 0, failed: [] });
      expect(progress).toEqual([`1/2 archived ${jsonId}`, '2/2 archived binary-1']);
      expect(await s.deadLetterCount()).toBe(0);

      const [json, binary] = await archive.list();
      expect(json).toMatchObject({
        appId: s.appId,
        deadLetterQueue: s.deadLetterQueue,
        messageId: jsonId,
        reason: 'repeats-exhausted',
        queue: s.queue,
        exchange: s.id,
        routingKey: s.routingKey,
        attempts: MAX_ATTEMPTS,
        error: { name: 'Error', message: 'boom {"n":1}' },
        consumerApp: s.appId,
        contentType: 'application/json',
        status: 'pending',
        replayedAt: undefined,
      });
      expect(json!.error!.stack).toMatch(/^Error: boom \{"n":1\}\n\s+at /);
      expect(json!.content.toString()).toBe('{"n":1}');
      expect(json!.deadLetteredAt).toBeInstanceOf(Date);
      expect(json!.firstFailureAt!.getTime()).toBeLessThanOrEqual(json!.deadLetteredAt!.getTime());
      expect(json!.archivedAt.getTime()).toBeGreaterThanOrEqual(json!.deadLetteredAt!.getTime() - 1000);
      expect(json!.properties.headers[HEADERS.deadReason]).toBe('repeats-exhausted');

      expect(binary).toMatchObject({
        messageId: 'binary-1',
        reason: 'invalid-content',
        contentType: 'application/octet-stream',
        error: { name: 'InvalidContentError' },
      });
      expect(binary!.content.equals(BINARY)).toBe(true);
      expect(binary!.properties.headers['x-signature']).toEqual(Buffer.from([1, 2, 3, 0]));
      expect(binary!.properties.headers['x-note']).toBe('kept');

      // The columns themselves, as SQL sees them.
      const rows = await archive.sqlRow('binary-1');
      expect(rows).toHaveLength(1);
      expect(rows[0]!.body.equals(BINARY)).toBe(true);
      expect(rows[0]).toMatchObject({
        reason: 'invalid-content',
        from_header: 'invalid-content',
        status: 'pending',
      });
      expect(await archive.get(binary!.id)).toEqual(binary);
      expect(await archive.counts()).toEqual({ pending: 2, replayed: 0, discarded: 0 });
    });

    it('replays from the archive to the original queue; the fixed handler consumes it once; the row is marked replayed', async () => {
      const s = await scene(cleanups, 'replay');
      const [messageId] = await s.deadLetter({ n: 2 });
      const archive = await backend.open(s);
      await archive.ensureSchema();
      await archive.archive();
      const [row] = await archive.list();

      expect(await archive.replay({ ids: [row!.id], dryRun: true })).toEqual({
        selected: 1,
        replayed: 0,
        failed: [],
        notPending: [],
        dryRun: true,
      });
      expect((await archive.get(row!.id))!.status).toBe('pending');

      s.fix();
      const progress: string[] = [];
      const summary = await archive.replay({
        ids: [row!.id],
        onProgress: ({ done, total, row: replayed, outcome }) =>
          progress.push(`${done}/${total} ${outcome} ${replayed.id}`),
      });
      expect(summary).toEqual({ selected: 1, replayed: 1, failed: [], notPending: [], dryRun: false });
      expect(progress).toEqual([`1/1 replayed ${row!.id}`]);
      const marked = await archive.get(row!.id);
      expect(marked).toMatchObject({ status: 'replayed' });
      expect(marked!.replayedAt).toBeInstanceOf(Date);

      await waitFor(
        () => s.settled.find((outcome) => outcome.outcome === 'acked' && outcome.messageId === messageId),
        20_000,
        'the replayed message to be handled',
      );
      // Attempts reset: the replay is handled as a first attempt, once, and nothing is left anywhere.
      expect(s.handled.filter((run) => run.messageId === messageId && run.ok)).toEqual([
        { messageId, attempt: 1, ok: true },
      ]);
      expect((await s.transport.queueStats(s.queue))?.messageCount).toBe(0);
      expect(await s.deadLetterCount()).toBe(0);

      // A replayed row is not replayed again.
      expect(await archive.replay({ ids: [row!.id] })).toMatchObject({ replayed: 0, notPending: [row!.id] });
    });

    it('a dead letter that fails again after a replay comes back as a new row; the first stays replayed', async () => {
      const s = await scene(cleanups, 'again');
      await s.deadLetterRaw(BINARY, { messageId: 'binary-2', contentType: 'application/octet-stream' });
      const archive = await backend.open(s);
      await archive.ensureSchema();
      await archive.archive();
      const [first] = await archive.list();
      // Still undecodable: the replay is dead-lettered again, with a new failure time.
      expect(await archive.replay({ ids: [first!.id] })).toMatchObject({ replayed: 1 });
      await s.deadLettered('binary-2', 2);
      expect(await archive.archive()).toMatchObject({ archived: 1, duplicates: 0 });
      const rows = await archive.list({ status: 'all' });
      expect(rows.map((row) => [row.messageId, row.status])).toEqual([
        ['binary-2', 'replayed'],
        ['binary-2', 'pending'],
      ]);
      expect(rows[1]!.content.equals(BINARY)).toBe(true);
      expect(rows[1]!.properties.headers[HEADERS.attempts]).toBe(1);
    });

    it('archives only what matches, leaving the rest in the queue in order; lists, discards and purges by filter', async () => {
      const s = await scene(cleanups, 'filter');
      const deadLetters = new DeadLetters(s.transport, { appId: s.appId });
      // Dead letters of another queue of the same application, put straight into its dead-letter queue.
      for (const n of [1, 2, 3]) {
        await s.transport.publish({
          exchange: '',
          routingKey: s.deadLetterQueue,
          content: Buffer.from(`other ${n}`),
          properties: {
            messageId: `other-${n}`,
            headers: { [HEADERS.deadReason]: 'non-retryable', [HEADERS.originalQueue]: `${s.id}.other` },
          },
        });
      }
      const ids = await s.deadLetter({ n: 1 }, { n: 2 }, { n: 3 });
      const archive = await backend.open(s);
      await archive.ensureSchema();

      expect(await archive.archive({ queue: s.queue, limit: 2 })).toEqual({
        scanned: 5,
        archived: 2,
        duplicates: 0,
        skipped: 3,
        failed: [],
      });
      expect((await deadLetters.list()).map((deadLetter) => deadLetter.messageId)).toEqual([
        'other-1',
        'other-2',
        'other-3',
        ids[2],
      ]);
      expect(await archive.archive({ reason: 'non-retryable' })).toMatchObject({ archived: 3, skipped: 1 });
      expect((await deadLetters.list()).map((deadLetter) => deadLetter.messageId)).toEqual([ids[2]]);

      expect((await archive.list({ queue: `${s.id}.other` })).map((row) => row.messageId)).toEqual([
        'other-1',
        'other-2',
        'other-3',
      ]);
      expect((await archive.list({ reason: 'repeats-exhausted' })).map((row) => row.messageId)).toEqual(
        ids.slice(0, 2),
      );
      const page = await archive.list({ limit: 2 });
      const next = await archive.list({ limit: 2, afterId: page[1]!.id });
      expect([...page, ...next].map((row) => row.messageId)).toEqual([ids[0], ids[1], 'other-1', 'other-2']);

      const discarded = await archive.discard({ queue: `${s.id}.other`, limit: 2 });
      expect(discarded).toHaveLength(2);
      expect(await archive.discard({ ids: discarded })).toEqual([]); // not pending any more
      expect(await archive.counts()).toEqual({ pending: 3, replayed: 0, discarded: 2 });
      expect(
        (await archive.list({ status: 'discarded' })).every((row) => row.discardedAt instanceof Date),
      ).toBe(true);

      // Replaying a row whose queue does not exist fails, and the row stays pending.
      const [other3] = await archive.list({ queue: `${s.id}.other` });
      const failed = await archive.replay({ ids: [other3!.id] });
      expect(failed).toMatchObject({ replayed: 0, failed: [{ id: other3!.id, messageId: 'other-3' }] });
      expect((await archive.get(other3!.id))!.status).toBe('pending');

      expect(await archive.purge({ olderThan: new Date(Date.now() - 60_000) })).toBe(0);
      expect(await archive.purge({ olderThan: new Date(Date.now() + 60_000) })).toBe(2); // the discarded ones
      expect(await archive.purge({ olderThan: new Date(Date.now() + 60_000), includePending: true })).toBe(3);
      expect(await archive.counts()).toEqual({ pending: 0, replayed: 0, discarded: 0 });
    });

    it('a row written but its message not acked (a crash in between): the next run finds it a duplicate, never a second row', async () => {
      const s = await scene(cleanups, 'dup');
      const ids = await s.deadLetter({ n: 1 }, { n: 2 }, { n: 3 });
      const archive = await backend.open(s);
      await archive.ensureSchema();
      // Thrown after the second row committed and before its ack: the message goes back to the queue.
      await expect(
        archive.archive({
          onProgress: ({ done }) => {
            if (done === 2) throw new Error('crash');
          },
        }),
      ).rejects.toThrow('crash');
      expect((await new DeadLetters(s.transport, { appId: s.appId }).list()).map((d) => d.messageId)).toEqual(
        ids.slice(1),
      );
      const outcomes: string[] = [];
      expect(
        await archive.archive({
          onProgress: ({ outcome, id }) => outcomes.push(`${outcome} ${id !== undefined}`),
        }),
      ).toEqual({ scanned: 2, archived: 1, duplicates: 1, skipped: 0, failed: [] });
      expect(outcomes).toEqual(['duplicate true', 'archived true']);
      expect(await s.deadLetterCount()).toBe(0);
      for (const messageId of ids) expect(await archive.sqlRow(messageId)).toHaveLength(1);
      expect((await archive.list()).map((row) => row.messageId)).toEqual(ids);
    });
  });
}
