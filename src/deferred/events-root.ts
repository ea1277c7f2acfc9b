/**
 * Anything that records domain events and hands them over once: usually an aggregate.
 *
 * `peekEvents()` is optional for custom roots, but the Flusher needs it when before-commit hooks (such
 * as the outbox) must see the events inside the transaction, before they are released.
 */
export interface EventsRoot {
  /** Returns the recorded events in record order and forgets them. */
  releaseEvents(): object[];
  /** Returns the recorded events without forgetting them. */
  peekEvents?(): readonly object[];
}

export function isEventsRoot(value: unknown): value is EventsRoot {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<EventsRoot>).releaseEvents === 'function'
  );
}
