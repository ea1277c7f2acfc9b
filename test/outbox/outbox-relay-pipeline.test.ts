import { describe, expect, it } from 'vitest';
import {
  encodeOutboxMessage,
  InMemoryUnitOfWork,
  MemoryBroker,
  MemoryOutbox,
  MemoryTransport,
  OutboxRelay,
  type ClaimedRow,
  type OutboxMessage,
} from '../../src/index.js';
import { waitFor } from '../helpers/wait-for.js';

/** A MemoryOutbox that records each markPublished call, in the order the relay made them. */
class RecordingOutbox extends MemoryOutbox {
  readonly marks: string[][] = [];

  override markPublished(owner: string, rows: readonly Pick<ClaimedRow, 'id' | 'leaseToken'>[]) {
    this.marks.push(rows.map((row) => row.id));
    return super.markPublished(owner, rows);
  }
}

/** A transport whose publishes are confirmed only when the test says so, one by one or all at once. */
function gatedTransport() {
  const transport = new MemoryTransport({ broker: new MemoryBroker() });
  const started: string[] = [];
  const pending = new Map<string, { confirm(): void; refuse(error: Error): void }>();
  transport.publish = (message) =>
    new Promise<void>((resolve, reject) => {
      const id = message.properties?.messageId ?? '?';
      started.push(id);
      pending.set(id, { confirm: resolve, refuse: reject });
    });
  const settle = (ids: readonly string[], error?: Error) => {
    for (const id of ids) {
      const publish = pending.get(id);
      if (publish === undefined) throw new Error(`${id} is not being published`);
      pending.delete(id);
      if (error === undefined) publish.confirm();
      else publish.refuse(error);
    }
  };
  return { transport, started, pending, settle };
}

async function fill(outbox: MemoryOutbox, count: number): Promise<string[]> {
  const messages: OutboxMessage[] = Array.from({ length: count }, (_, index) =>
    encodeOutboxMessage({ n: index }, 'order.placed', { appId: 'shop' }),
  );
  await new InMemoryUnitOfWork().transaction((tx) => outbox.add(messages, tx));
  await new Promise((resolve) => setTimeout(resolve, 10)); // the commit's notification has come and gone
  return messages.map((message) => message.id);
}

describe('OutboxRelay pipeline', () => {
  it('publishes the next batch while the confirms of the one before are coming in, and marks in claim order', async () => {
    const outbox = new RecordingOutbox();
    const ids = await fill(outbox, 6);
    const { transport, started, settle } = gatedTransport();
    const relay = new OutboxRelay({ outbox, transport, batchSize: 2, pollIntervalMs: 60_000 });
    relay.start();

    // Batch 1 unconfirmed, yet batch 2 is published: the confirm window does not empty between batches.
    await waitFor(() => started.length === 4, 2000, 'two batches published');
    await new Promise((resolve) => setTimeout(resolve, 30));
    // At most two batches are in flight: the third waits for the first one's confirms.
    expect(started).toEqual(ids.slice(0, 4));
    expect(outbox.marks).toEqual([]);

    settle(ids.slice(0, 2));
    await waitFor(() => started.length === 6, 2000, 'batch 3 published once batch 1 is confirmed');
    await waitFor(() => outbox.marks.length === 1, 2000, 'batch 1 marked');
    // Batch 3 confirmed before batch 2: its mark still waits for batch 2's (claim order).
    settle(ids.slice(4, 6));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(outbox.marks).toEqual([ids.slice(0, 2)]);
    settle(ids.slice(2, 4));
    await waitFor(async () => (await outbox.stats()).pending === 0, 2000, 'every row marked');
    expect(outbox.marks).toEqual([ids.slice(0, 2), ids.slice(2, 4), ids.slice(4, 6)]);
    expect(started).toEqual(ids); // each row published once
    await relay.stop();
    await transport.close();
  });

  it('at most two batches published and not yet marked: the next waits for the marks of the one before the last', async () => {
    // What a relay killed at any moment leaves to be published again (docs/guarantees.md).
    class SlowMarks extends RecordingOutbox {
      open: () => void = () => {};
      readonly #gate = new Promise<void>((resolve) => (this.open = resolve));
      override async markPublished(owner: string, rows: readonly Pick<ClaimedRow, 'id' | 'leaseToken'>[]) {
        await this.#gate;
        return super.markPublished(owner, rows);
      }
    }
    const outbox = new SlowMarks();
    const ids = await fill(outbox, 6);
    const { transport, started, settle } = gatedTransport();
    const relay = new OutboxRelay({ outbox, transport, batchSize: 2, pollIntervalMs: 60_000 });
    relay.start();
    await waitFor(() => started.length === 4, 2000, 'two batches published');
    settle(ids.slice(0, 2)); // batch 1 confirmed: its marks are being written (slowly)
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Batch 3 is claimed, but batches 1 and 2 are published and unmarked: it waits.
    expect(started).toEqual(ids.slice(0, 4));
    outbox.open();
    await waitFor(() => started.length === 6, 2000, 'batch 3 published once batch 1 is marked');
    settle(ids.slice(2, 6));
    await waitFor(async () => (await outbox.stats()).pending === 0, 2000, 'every row marked');
    expect(outbox.marks).toEqual([ids.slice(0, 2), ids.slice(2, 4), ids.slice(4, 6)]);
    await relay.stop();
    await transport.close();
  });

  it('a batch that fails while the next one is in flight: the next one and the one claimed before the failure was seen are still published and marked, nothing more is claimed', async () => {
    class CountingOutbox extends RecordingOutbox {
      claims = 0;
      override claim(owner: string, limit: number, leaseMs: number) {
        this.claims += 1;
        return super.claim(owner, limit, leaseMs);
      }
    }
    const outbox = new CountingOutbox();
    const ids = await fill(outbox, 10);
    const { transport, started, settle } = gatedTransport();
    const failed: string[] = [];
    const relay = new OutboxRelay({
      outbox,
      transport,
      batchSize: 2,
      pollIntervalMs: 60_000,
      retry: { initialDelayMs: 60_000, maxDelayMs: 60_000, jitter: 0 },
    });
    relay.on('failed', ({ id }) => failed.push(id));
    relay.start();
    await waitFor(() => started.length === 4, 2000, 'two batches published');
    // Batch 3 is claimed before batch 2 is published: the claim does not wait for batch 1's confirms.
    await waitFor(() => outbox.claims === 3, 2000, 'batch 3 claimed');
    settle(ids.slice(0, 2), new Error('the broker refused'));
    settle(ids.slice(2, 4));
    // Batch 3 was claimed before batch 1's failure was seen: it is published, and nothing after it.
    await waitFor(() => started.length === 6, 2000, 'batch 3 published');
    settle(ids.slice(4, 6));
    await waitFor(() => outbox.marks.length === 2, 2000, 'batches 2 and 3 marked');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(failed).toEqual(ids.slice(0, 2));
    expect(outbox.marks).toEqual([ids.slice(2, 4), ids.slice(4, 6)]);
    expect(started).toEqual(ids.slice(0, 6));
    expect(outbox.claims).toBe(3);
    expect(await outbox.stats()).toMatchObject({ pending: 6, failing: 2, published: 4 });
    await relay.stop();
    await transport.close();
  });

  it('a mark that fails while the next batch is in flight: that batch is still marked, nothing more is published, the error is reported', async () => {
    class FlakyOutbox extends RecordingOutbox {
      failures = 1;
      override markPublished(owner: string, rows: readonly Pick<ClaimedRow, 'id' | 'leaseToken'>[]) {
        if (this.failures-- > 0) {
          this.marks.push(rows.map((row) => row.id));
          return Promise.reject(new Error('the database blinked'));
        }
        return super.markPublished(owner, rows);
      }
    }
    const outbox = new FlakyOutbox();
    const ids = await fill(outbox, 8);
    const { transport, started, settle, pending } = gatedTransport();
    const errors: string[] = [];
    const relay = new OutboxRelay({
      outbox,
      transport,
      batchSize: 2,
      leaseMs: 300,
      pollIntervalMs: 60_000,
      retry: { initialDelayMs: 60_000, maxDelayMs: 60_000, jitter: 0 },
    });
    relay.on('error', (error) => errors.push(error.message));
    relay.start();
    await waitFor(() => started.length === 4, 2000, 'two batches published');
    settle(ids.slice(0, 2)); // batch 1 confirmed: its mark fails
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(started).toEqual(ids.slice(0, 4)); // nothing more goes out
    settle(ids.slice(2, 4)); // batch 2, in flight meanwhile, is still marked once confirmed
    await waitFor(() => errors.length > 0, 2000, 'the mark failure reported');
    expect(errors).toEqual(['the database blinked']);
    expect(outbox.marks).toEqual([ids.slice(0, 2), ids.slice(2, 4)]);
    expect(pending.size).toBe(0);
    await relay.stop();
    // Batch 1 (its mark failed) goes again, at least once; batch 2 is marked; the rest was never sent.
    const next = (await outbox.claim('another', 10, 60_000)).map((row) => row.id);
    expect(next).toEqual([...ids.slice(0, 2), ...ids.slice(4, 8)]);
    expect(started).toEqual(ids.slice(0, 4));
    await transport.close();
  });

  it('stop() while two batches are in flight: both are marked once confirmed, no row is published twice', async () => {
    const outbox = new RecordingOutbox();
    const ids = await fill(outbox, 6);
    const { transport, started, settle } = gatedTransport();
    const relay = new OutboxRelay({ outbox, transport, batchSize: 2, pollIntervalMs: 60_000 });
    relay.start();
    await waitFor(() => started.length === 4, 2000, 'two batches published');
    const stopping = relay.stop();
    settle(ids.slice(0, 4));
    await stopping;
    expect(outbox.marks).toEqual([ids.slice(0, 2), ids.slice(2, 4)]);
    expect(started).toEqual(ids.slice(0, 4));
    // The batch claimed ahead was given back: another relay takes it at once.
    const next = await outbox.claim('another', 10, 10_000);
    expect(next.map((row) => row.id)).toEqual(ids.slice(4, 6));
    await transport.close();
  });
});
