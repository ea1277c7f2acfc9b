import { InstanceContext } from '../internal/instance-context.js';
import type { EventsRoot } from './events-root.js';

/** The roots a running `Flusher.transaction` callback collects, until the callback has settled. */
interface Collecting {
  readonly roots: Set<EventsRoot>;
  open: boolean;
}

/**
 * The roots that record an event while a `Flusher.transaction` callback runs, so the flush releases
 * their events without the callback having to return them: the write (through an ORM's `tx`, say) and
 * the aggregates that changed are all the caller has to handle. A key of the library's single async
 * context (no `AsyncLocalStorage` of its own: each one taxes every promise of the process).
 */
const recordingScope = new InstanceContext<Collecting>({});

/**
 * Runs `callback` so that every root recording an event inside it is added to `roots` — until it has
 * settled: a timer or a task it left running keeps the async context, and a root recording there later
 * belongs to no flush (it must not join one that has committed, nor be kept alive by it).
 */
export async function collectRecordingRoots<R>(
  roots: Set<EventsRoot>,
  callback: () => Promise<R>,
): Promise<R> {
  const collecting: Collecting = { roots, open: true };
  try {
    return await recordingScope.run(collecting, callback);
  } finally {
    collecting.open = false;
  }
}

/** Called by `recordEvent`: adds the root to the innermost collecting flush, if any is still open. */
export function noteRecordingRoot(root: EventsRoot): void {
  const collecting = recordingScope.getStore();
  if (collecting?.open === true) collecting.roots.add(root);
}
