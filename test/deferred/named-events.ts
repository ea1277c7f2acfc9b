// The event and root the Flusher tests record: a named event, a root that records it fluently.
import { AggregateRoot } from '../../src/index.js';

export class Named {
  constructor(readonly name: string) {}
}

export class Root extends AggregateRoot {
  record(name: string): this {
    this.recordEvent(new Named(name));
    return this;
  }
}

/** The names of events, in order. */
export const names = (events: readonly object[]): string[] => events.map((event) => (event as Named).name);
