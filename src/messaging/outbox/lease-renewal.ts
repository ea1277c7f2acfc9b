import type { ClaimedRow, Outbox } from './outbox.js';

/** What the relay renews: the rows, whose they are, for how long each time, where errors go. */
export interface LeaseRenewalOptions {
  readonly outbox: Outbox<never>;
  readonly owner: string;
  readonly leaseMs: number;
  readonly onError: (error: unknown) => void;
}

/**
 * Extends the leases of every row in `held` every third of the lease, one renewal at a time (a tick
 * is skipped while the previous renewal is still waiting for the database). The set is read at each
 * tick: rows added later (a batch claimed ahead) are renewed too, rows removed (marked) no longer.
 */
export function renewLeases(
  held: ReadonlySet<ClaimedRow>,
  { outbox, owner, leaseMs, onError }: LeaseRenewalOptions,
): { stop(): Promise<void> } {
  let renewal: Promise<void> | undefined;
  const timer = setInterval(
    () => {
      if (renewal !== undefined || held.size === 0) return;
      renewal = outbox
        .extendLease(owner, [...held], leaseMs)
        .then(() => undefined, onError)
        .finally(() => (renewal = undefined));
    },
    Math.max(1, Math.floor(leaseMs / 3)),
  );
  return {
    stop: async () => {
      clearInterval(timer);
      await renewal;
    },
  };
}
