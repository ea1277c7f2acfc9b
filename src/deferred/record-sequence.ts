/**
 * A process-wide sequence stamped on every recorded event, so events released from several roots can be
 * put back in the order they were recorded. Kept on `globalThis` under a registered symbol so the ES
 * module and CommonJS builds of tidings share one sequence when both are loaded.
 */
interface SequenceState {
  next: number;
  readonly numbers: WeakMap<object, number>;
}

const STATE_KEY = Symbol.for('tidings.record-sequence');
const state: SequenceState = ((globalThis as { [STATE_KEY]?: SequenceState })[STATE_KEY] ??= {
  next: 0,
  numbers: new WeakMap(),
});

export function stampRecordOrder(event: object): void {
  state.numbers.set(event, state.next++);
}

/** The record-order number of an event, or `undefined` if it was not recorded through `recordEvent`. */
export function recordOrderOf(event: object): number | undefined {
  return state.numbers.get(event);
}

/**
 * Sorts events by record order, stably; events without a number keep their place relative to each other
 * and come after numbered ones recorded before them.
 */
export function sortByRecordOrder(events: object[]): object[] {
  const keyed = events.map((event, index) => ({ event, order: recordOrderOf(event) ?? Infinity, index }));
  keyed.sort((a, b) => a.order - b.order || a.index - b.index);
  return keyed.map((entry) => entry.event);
}
