// The record of one reliability run, after the Jepsen queue checker: every publish attempt (or every
// transaction that would emit a message) gets an id and an outcome; every receipt on the consumer side is
// appended. `check()` then compares the two once the faults have stopped and everything was drained.
//
// Outcomes on the producing side:
//   ok        the broker confirmed the publish, or the outbox transaction committed
//   failed    definitely not sent: a transaction that rolled back, a publish the broker nacked
//   unknown   the producer cannot tell: a timeout, a connection lost before the confirm
// A message that is never given an outcome counts as unknown (the producer crashed mid-call).

export type Outcome = 'ok' | 'failed' | 'unknown';

export interface CheckResult {
  /** Ids the producer attempted. */
  attempted: number;
  ok: number;
  failed: number;
  unknown: number;
  /** Distinct ids received. */
  received: number;
  /** All receipts, duplicates included. */
  receipts: number;
  /** ok (confirmed or committed) but never received: must be 0. */
  lost: string[];
  /** Received although never attempted or definitely failed (rolled back, nacked): must be 0. */
  phantom: string[];
  /** Outcome unknown, yet received: the broker had it after all. */
  recovered: number;
  /** Outcome unknown and never received: allowed, the producer was told it might not have arrived. */
  unknownNotReceived: number;
  /** Ids received more than once, and the extra copies in all. */
  duplicated: number;
  duplicateCopies: number;
}

export class History {
  readonly #outcomes = new Map<string, Outcome | undefined>();
  readonly #receipts = new Map<string, number>();
  #receiptCount = 0;

  /** The producer is about to publish (or commit) `id`. */
  attempt(id: string): void {
    if (this.#outcomes.has(id)) throw new Error(`history: ${id} attempted twice`);
    this.#outcomes.set(id, undefined);
  }

  /** Records the outcome of an attempt; a later `ok` wins over an earlier `unknown` (a retry that worked). */
  settle(id: string, outcome: Outcome): void {
    if (!this.#outcomes.has(id)) throw new Error(`history: ${id} settled but never attempted`);
    const previous = this.#outcomes.get(id);
    if (previous === 'ok') return;
    if (previous === 'failed' && outcome !== 'failed')
      throw new Error(`history: ${id} failed definitely, then ${outcome}`);
    this.#outcomes.set(id, outcome);
  }

  /** Attempts and settles in one step, for producers whose outcome is known at once (a commit). */
  record(id: string, outcome: Outcome): void {
    this.attempt(id);
    this.settle(id, outcome);
  }

  /** The consumer got `id` (call once per delivery that reached the handler and was acknowledged). */
  receive(id: string): void {
    this.#receiptCount++;
    this.#receipts.set(id, (this.#receipts.get(id) ?? 0) + 1);
  }

  receivedCount(id: string): number {
    return this.#receipts.get(id) ?? 0;
  }

  /** Every distinct id received. */
  get receivedIds(): string[] {
    return [...this.#receipts.keys()];
  }

  /** Every id the producer attempted whose delivery can still be expected (ok or unknown). */
  get pending(): string[] {
    return [...this.#outcomes]
      .filter(([id, outcome]) => outcome !== 'failed' && !this.#receipts.has(id))
      .map(([id]) => id);
  }

  /** True once every ok id has arrived. */
  get allOkReceived(): boolean {
    for (const [id, outcome] of this.#outcomes) if (outcome === 'ok' && !this.#receipts.has(id)) return false;
    return true;
  }

  check(): CheckResult {
    const result: CheckResult = {
      attempted: this.#outcomes.size,
      ok: 0,
      failed: 0,
      unknown: 0,
      received: this.#receipts.size,
      receipts: this.#receiptCount,
      lost: [],
      phantom: [],
      recovered: 0,
      unknownNotReceived: 0,
      duplicated: 0,
      duplicateCopies: 0,
    };
    for (const [id, outcome = 'unknown'] of this.#outcomes) {
      result[outcome]++;
      const received = this.#receipts.has(id);
      if (outcome === 'ok' && !received) result.lost.push(id);
      if (outcome === 'failed' && received) result.phantom.push(id);
      if (outcome === 'unknown') {
        if (received) result.recovered++;
        else result.unknownNotReceived++;
      }
    }
    for (const [id, count] of this.#receipts) {
      if (!this.#outcomes.has(id)) result.phantom.push(id);
      if (count > 1) {
        result.duplicated++;
        result.duplicateCopies += count - 1;
      }
    }
    return result;
  }
}

/** One line for the log: the figures a reader looks for first. */
export function summarize(result: CheckResult): string {
  return (
    `attempted ${result.attempted} (ok ${result.ok}, failed ${result.failed}, unknown ${result.unknown}); ` +
    `received ${result.received} (${result.receipts} receipts); lost ${result.lost.length}, ` +
    `phantom ${result.phantom.length}, recovered ${result.recovered}, ` +
    `unknown and not received ${result.unknownNotReceived}, duplicated ${result.duplicated} ` +
    `(${result.duplicateCopies} extra copies)`
  );
}
