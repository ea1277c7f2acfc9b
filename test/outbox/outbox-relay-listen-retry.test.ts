import { describe, expect, it } from 'vitest';
import { MemoryBroker, MemoryOutbox, MemoryTransport, OutboxRelay } from '../../src/index.js';
import { waitFor } from '../helpers/wait-for.js';

/** An outbox whose LISTEN fails the first `failures` times, as when the database is down at start. */
class FlakyWatchOutbox extends MemoryOutbox {
  watchCalls: number[] = [];
  statsCalls = 0;
  listening = false;
  constructor(private failures: number) {
    super();
  }
  override watch(listener: () => void) {
    this.watchCalls.push(performance.now());
    if (this.failures-- > 0) return Promise.reject(new Error('connect ECONNREFUSED'));
    this.listening = true;
    return super.watch(listener);
  }
  override stats() {
    this.statsCalls += 1;
    return super.stats();
  }
}

describe('OutboxRelay LISTEN retries', () => {
  it('a relay whose LISTEN failed at start tries again about once a second, not only when housekeeping is due', async () => {
    const outbox = new FlakyWatchOutbox(2);
    const transport = new MemoryTransport({ broker: new MemoryBroker() });
    const relay = new OutboxRelay({
      outbox,
      transport,
      pollIntervalMs: 100,
      housekeepingIntervalMs: 60_000,
    });
    const errors: Error[] = [];
    relay.on('error', (error) => errors.push(error));
    const started = performance.now();
    relay.start();
    try {
      await waitFor(() => outbox.listening, 5000, 'the relay listens');
      // Two failed attempts, then the one that worked, a second or so apart: no tight loop.
      expect(outbox.watchCalls).toHaveLength(3);
      expect(outbox.watchCalls[2]! - started).toBeGreaterThanOrEqual(1800);
      expect(outbox.watchCalls[2]! - started).toBeLessThan(4000);
      // Housekeeping ran once, at start: the retries did not wait for its next turn (60 s away).
      expect(outbox.statsCalls).toBe(1);
      expect(errors.map((error) => error.message)).toEqual(['connect ECONNREFUSED', 'connect ECONNREFUSED']);
      await new Promise((resolve) => setTimeout(resolve, 1300));
      expect(outbox.watchCalls).toHaveLength(3); // listening now: no more attempts
    } finally {
      await relay.stop();
      await transport.close();
    }
  });
});
