import { InstanceContext } from '../internal/instance-context.js';
import type { EventsRoot } from './events-root.js';

/**
 * The roots that record an event while a `Flusher.transaction` callback runs, so the flush releases
 * their events without the callback having to return them: the write (through an ORM's `tx`, say) and
 * the aggregates that changed are all the caller has to handle. A key of the library's single async
 * context (no `AsyncLocalStorage` of its own: each one taxes every promise of the process).
 */
const recordingScope = new InstanceContext<Set<EventsRoot>>({});

/** Runs `callback` so that every root recording an event inside it is added to `roots`. */
export function collectRecordingRoots<R>(roots: Set<EventsRoot>, callback: () => R): R {
  return recordingScope.run(roots, callback);
}

/** Called by `recordEvent`: adds the root to the innermost collecting flush, if any. */
export function noteRecordingRoot(root: EventsRoot): void {
  recordingScope.getStore()?.add(root);
}
