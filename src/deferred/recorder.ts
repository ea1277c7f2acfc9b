import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { describeValue } from '../internal/options.js';
import type { EventsRoot } from './events-root.js';
import { stampRecordOrder } from './record-sequence.js';
import { noteRecordingRoot } from './recording-scope.js';
import { noteRecordingContext } from './recording-context.js';

// Recorded events live beside the instance, not on it: an ORM or JSON.stringify never sees them.
const recorded = new WeakMap<object, object[]>();

/**
 * TypeScript's mixin rule requires exactly this constructor shape (a single `any[]` rest parameter).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Constructor<T = object> = abstract new (...args: any[]) => T;

/** The methods that `Recorder` and `AggregateRoot` add. */
export interface RecordsEvents extends EventsRoot {
  /**
   * Records an event to be released (and dispatched) after the transaction commits. Inside a
   * `Flusher.transaction` callback, the root joins that flush by recording.
   */
  recordEvent(event: object): void;
  releaseEvents(): object[];
  peekEvents(): readonly object[];
}

/**
 * Adds event recording to a class that already extends something (an ORM base class, say).
 *
 * @example
 * class Order extends Recorder(BaseEntity) {
 *   place() { this.recordEvent(new OrderPlaced(this.id)); }
 * }
 */
export function Recorder<TBase extends Constructor>(Base: TBase) {
  abstract class Recording extends Base implements RecordsEvents {
    recordEvent(event: object): void {
      if (typeof event !== 'object' || event === null) {
        throw new InvalidArgumentError(`recordEvent: expected an event object, got ${describeValue(event)}`);
      }
      stampRecordOrder(event);
      noteRecordingRoot(this);
      noteRecordingContext(event);
      const list = recorded.get(this);
      if (list === undefined) recorded.set(this, [event]);
      else list.push(event);
    }

    releaseEvents(): object[] {
      const list = recorded.get(this);
      if (list === undefined) return [];
      recorded.delete(this);
      return list;
    }

    peekEvents(): readonly object[] {
      return [...(recorded.get(this) ?? [])];
    }
  }
  return Recording;
}

/**
 * Base class for aggregates that record domain events; a `Flusher` releases and dispatches them after
 * the transaction that saved the aggregate has committed.
 *
 * @example
 * class Order extends AggregateRoot {
 *   constructor(readonly id: string, readonly total: number) { super(); }
 *   place() { this.recordEvent(new OrderPlaced(this.id, this.total)); }
 * }
 */
export abstract class AggregateRoot extends Recorder(Object) {}
