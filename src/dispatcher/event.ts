/**
 * Optional base class for events that can stop propagation, as in Symfony and PSR-14: once a listener
 * calls `stopPropagation()`, listeners further down the priority order are not called.
 *
 * Any event class works without it; what the dispatcher looks for is an `isPropagationStopped()` method.
 * The flag is a private field, so it never appears in the event's JSON.
 *
 * @example
 * class OrderPlaced extends Event {
 *   constructor(readonly orderId: string) { super(); }
 * }
 * dispatcher.on(OrderPlaced, (e) => { if (fraud(e)) e.stopPropagation(); }, { priority: 100 });
 */
export class Event {
  #propagationStopped = false;

  /** Listeners after the current one will not be called for this event. */
  stopPropagation(): void {
    this.#propagationStopped = true;
  }

  isPropagationStopped(): boolean {
    return this.#propagationStopped;
  }
}

/** Anything with `isPropagationStopped()`: the dispatcher's test for "can this event stop?". */
export interface StoppableEvent {
  isPropagationStopped(): boolean;
}

export function isStoppable(event: object): event is StoppableEvent {
  return typeof (event as Partial<StoppableEvent>).isPropagationStopped === 'function';
}
