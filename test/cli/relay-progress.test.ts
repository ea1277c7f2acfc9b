// The progress line of `tidings outbox relay`, and when it asks the outbox for pending rows.
import { describe, expect, it } from 'vitest';
import { RelayProgress } from '../../src/cli/relay-progress.js';
import type { OutboxStats } from '../../src/messaging/outbox/outbox.js';

const stats = (pending: number, oldestPendingAgeMs: number): OutboxStats => ({
  pending,
  oldestPendingAgeMs,
  inFlight: 0,
  failing: 0,
  published: 0,
});

/** An outbox whose stats() answers when the test says so, on a clock the test moves. */
function scene() {
  const clock = { now: 1_000_000 };
  const queries: ((value: OutboxStats) => void)[] = [];
  const outbox = { stats: () => new Promise<OutboxStats>((resolve) => queries.push(resolve)) };
  return { clock, queries, progress: new RelayProgress(outbox, 5000, () => clock.now) };
}

describe('RelayProgress', () => {
  it('counts published rows and the rate since the previous line, then pending and oldest', async () => {
    const { clock, queries, progress } = scene();
    expect(progress.line()).toBe('published 0 (+0 in 0.0 s, 0.0/s), failed 0');
    const answered = progress.refresh();
    clock.now += 40;
    queries[0]!(stats(15, 420));
    await answered;
    progress.published += 300;
    progress.failed = 2;
    clock.now += 4960;
    expect(progress.line()).toBe('published 300 (+300 in 5.0 s, 60.0/s), failed 2, pending 15, oldest 0.4 s');
    progress.published += 50;
    clock.now += 5000;
    // Not asked again since: the answer is 10 s old.
    expect(progress.line()).toBe(
      'published 350 (+50 in 5.0 s, 10.0/s), failed 2, pending 15, oldest 0.4 s (as of 10 s ago)',
    );
  });

  it('runs one query at a time, waits 19 times its duration before the next, and says how old it is', async () => {
    const { clock, queries, progress } = scene();
    const first = progress.refresh();
    void progress.refresh(); // still running: not asked again
    expect(queries).toHaveLength(1);
    clock.now += 2000; // a slow query: the next waits 38 s
    queries[0]!(stats(7, 1000));
    await first;
    clock.now += 5000;
    await progress.refresh();
    expect(queries).toHaveLength(1);
    expect(progress.line()).toMatch(/, pending 7, oldest 1\.0 s$/);
    clock.now += 5000;
    expect(progress.line()).toMatch(/, pending 7, oldest 1\.0 s \(as of 10 s ago\)$/);
    clock.now += 28_000;
    void progress.refresh();
    expect(queries).toHaveLength(2);
  });

  it('leaves pending out until the outbox answered, and carries on when it fails', async () => {
    const outbox = { stats: () => Promise.reject(new Error('connection refused')) };
    const progress = new RelayProgress(outbox, 1000);
    await progress.refresh();
    expect(progress.line()).toMatch(/^published 0 \(\+0 in [0-9.]+ s, 0\.0\/s\), failed 0$/);
  });
});
