import type { ClaimedRow } from './outbox.js';

/** A batch being published: its outcomes (one per row, in order), and whether they are all in. */
export interface InFlightBatch {
  readonly rows: ClaimedRow[];
  readonly publishing: Promise<PromiseSettledResult<void>[]>;
  confirmed: boolean;
}

export function inFlight(
  rows: ClaimedRow[],
  publishing: Promise<PromiseSettledResult<void>[]>,
): InFlightBatch {
  const batch: InFlightBatch = { rows, publishing, confirmed: false };
  void publishing.then(() => (batch.confirmed = true));
  return batch;
}
