/**
 * Optional base class for events that can stop propagation, as in Symfony and PSR-14: once a listener
 * calls `stopPropagation()`, listeners further down the priority order are not called.
 *
 * Any event class works without it; what the dispatcher looks for is an `isPropagationStopped()` method.
 * The flag is a non-enumerable symbol property, set only once stopped: it never appears in the event's
 * JSON, and instances built without running the constructor (events consumed from a broker) work too.
 *
 * @example
 * class OrderPlaced extends Event {
 *   constructor(readonly orderId: string) { super(); }
 * }
 * dispatcher.on(OrderPlaced, (e) => { if (fraud(e)) e.stopPropagation(); }, { priority: 100 });
 */
export class Event {
  /** Listeners after the current one will not be called for this event. */
  stopPropagation(): void {
    Object.defineProperty(this, STOPPED, { value: true, configurable: true });
  }

  isPropagationStopped(): boolean {
    return (this as { [STOPPED]?: boolean })[STOPPED] === true;
  }
}

const STOPPED = Symbol('tidings.propagation-stopped');

/** Anything with `isPropagationStopped()`: what the dispatcher tests for ("can this event stop?"). */
export interface StoppableEvent {
  isPropagationStopped(): boolean;
}
