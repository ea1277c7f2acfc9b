// Events, listeners and the tally they write to, shared by every scenario so that each library gets
// exactly the same objects and exactly the same listener code: only the dispatch mechanism differs.
import mittImport from 'mitt';

/**
 * mitt's factory. Its type declarations are CommonJS-flavoured, so under `moduleResolution: NodeNext`
 * TypeScript types the default import as the module object; at run time Node loads mitt's ES build,
 * whose default export is the factory itself. The cast states what Node actually gives us.
 */
export const createMitt = mittImport as unknown as typeof mittImport.default;

/** The event class tidings dispatches; the peers emit the same instances as their payload. */
export class OrderPlaced {
  constructor(readonly amount: number) {}
}

/** A base class with a listener on it (tidings polymorphism); never dispatched itself. */
export abstract class DomainEvent {
  constructor(readonly amount: number) {}
}

/** What the base-class scenario dispatches: a subclass of `DomainEvent`. */
export class OrderShipped extends DomainEvent {}

/** Event name the peers (string-keyed emitters) use. */
export const EVENT_NAME = 'order.placed';

/** Typed event map for the peers' generics (a type alias: mitt needs its implicit index signature). */
export type PeerEvents = { [EVENT_NAME]: OrderPlaced };

// A pool of pre-built events cycled through by index: the listeners see varying data (so nothing folds
// into a constant), while building events stays out of the measured loop for every library alike.
const POOL_SIZE = 1024; // a power of two, so `i & POOL_MASK` picks an event
export const POOL_MASK = POOL_SIZE - 1;

export function orderPlacedPool(): OrderPlaced[] {
  return Array.from({ length: POOL_SIZE }, (_, i) => new OrderPlaced(i % 7));
}

export function orderShippedPool(): OrderShipped[] {
  return Array.from({ length: POOL_SIZE }, (_, i) => new OrderShipped(i % 7));
}

/**
 * Where listeners do their "tiny bit of real work". The harness reads it after the run (so V8 cannot
 * prove the listener bodies dead) and checks `calls` against the number of operations it timed.
 */
export class Tally {
  calls = 0;
  sum = 0;
}

type Amounted = { readonly amount: number };

/**
 * `count` distinct listener functions (separate closures, like separate listeners in an app), each
 * counting its call and summing the event's amount.
 */
export function syncListeners(tally: Tally, count: number): ((event: Amounted) => void)[] {
  return Array.from({ length: count }, () => (event: Amounted): void => {
    tally.calls++;
    tally.sum += event.amount;
  });
}

/** Same work in an async function: each call returns a promise the dispatcher must await. */
export function asyncListeners(tally: Tally, count: number): ((event: Amounted) => Promise<void>)[] {
  return Array.from({ length: count }, () => async (event: Amounted): Promise<void> => {
    tally.calls++;
    tally.sum += event.amount;
  });
}

/** Ten distinct priorities, registered out of order so the dispatcher really has to sort them. */
export const MIXED_PRIORITIES: readonly number[] = [5, -10, 100, 0, 42, -1, 7, 3, 64, -50];
