// Case builders shared by the "N listeners, emit one event" scenarios (one-listener, ten-listeners,
// mixed-priorities, base-class-listener). Each builder makes fresh objects on `setup()`, so a case
// never inherits an emitter that another case has already warmed up.
import Emittery from 'emittery';
import { EventEmitter as EventEmitter3 } from 'eventemitter3';
import { EventEmitter } from 'node:events';
import type { EventClass } from '../../src/dispatcher.js';
import { EventDispatcher } from './tidings.js';
import {
  createMitt,
  EVENT_NAME,
  OrderPlaced,
  orderPlacedPool,
  POOL_MASK,
  syncListeners,
  Tally,
  type PeerEvents,
} from './fixtures.js';
import type { AsyncBench, Case } from './harness.js';

export interface TidingsSpec {
  /** Number of listeners. */
  readonly count: number;
  /** One priority per listener, in registration order; none means the default priority. */
  readonly priorities?: readonly number[];
  /** The class the listeners are registered on. Default `OrderPlaced`. */
  readonly listenOn?: EventClass<{ readonly amount: number }>;
  /** The events dispatched (instances of `listenOn` or of a subclass). Default: `OrderPlaced` events. */
  readonly events?: () => readonly { readonly amount: number }[];
}

function tidingsSetup(spec: TidingsSpec, tally: Tally) {
  const dispatcher = new EventDispatcher();
  const listenOn = spec.listenOn ?? OrderPlaced;
  syncListeners(tally, spec.count).forEach((listener, i) => {
    const priority = spec.priorities?.[i];
    dispatcher.on(listenOn, listener, priority === undefined ? undefined : { priority });
  });
  return { dispatcher, events: (spec.events ?? orderPlacedPool)() };
}

export function tidingsDispatchSync(spec: TidingsSpec): Case {
  return {
    label: 'tidings dispatchSync',
    library: 'tidings',
    callsPerOp: spec.count,
    setup() {
      const tally = new Tally();
      const { dispatcher, events } = tidingsSetup(spec, tally);
      return {
        kind: 'sync',
        tally,
        run(ops) {
          for (let i = 0; i < ops; i++) dispatcher.dispatchSync(events[i & POOL_MASK]!);
        },
      };
    },
  };
}

/** `dispatch()` awaited, as a caller would: one promise and one microtask turn per event. */
export function tidingsDispatch(spec: TidingsSpec): Case {
  return {
    label: 'tidings dispatch (awaited)',
    library: 'tidings',
    callsPerOp: spec.count,
    setup() {
      const tally = new Tally();
      const { dispatcher, events } = tidingsSetup(spec, tally);
      return {
        kind: 'async',
        tally,
        async run(ops) {
          for (let i = 0; i < ops; i++) await dispatcher.dispatch(events[i & POOL_MASK]!);
        },
      } satisfies AsyncBench;
    },
  };
}

export function eventemitter3Emit(count: number): Case {
  return {
    label: 'eventemitter3 emit',
    library: 'eventemitter3',
    callsPerOp: count,
    setup() {
      const tally = new Tally();
      const emitter = new EventEmitter3<PeerEvents>();
      for (const listener of syncListeners(tally, count)) emitter.on(EVENT_NAME, listener);
      const events = orderPlacedPool();
      return {
        kind: 'sync',
        tally,
        run(ops) {
          for (let i = 0; i < ops; i++) emitter.emit(EVENT_NAME, events[i & POOL_MASK]!);
        },
      };
    },
  };
}

export function nodeEventsEmit(count: number): Case {
  return {
    label: 'node:events emit',
    library: 'node:events',
    callsPerOp: count,
    setup() {
      const tally = new Tally();
      const emitter = new EventEmitter();
      // Node warns past 10 listeners per event; keep the scenarios' console clean whatever the count.
      emitter.setMaxListeners(0);
      for (const listener of syncListeners(tally, count)) emitter.on(EVENT_NAME, listener);
      const events = orderPlacedPool();
      return {
        kind: 'sync',
        tally,
        run(ops) {
          for (let i = 0; i < ops; i++) emitter.emit(EVENT_NAME, events[i & POOL_MASK]!);
        },
      };
    },
  };
}

export function mittEmit(count: number): Case {
  return {
    label: 'mitt emit',
    library: 'mitt',
    callsPerOp: count,
    setup() {
      const tally = new Tally();
      const emitter = createMitt<PeerEvents>();
      for (const listener of syncListeners(tally, count)) emitter.on(EVENT_NAME, listener);
      const events = orderPlacedPool();
      return {
        kind: 'sync',
        tally,
        run(ops) {
          for (let i = 0; i < ops; i++) emitter.emit(EVENT_NAME, events[i & POOL_MASK]!);
        },
      };
    },
  };
}

/** The three string-keyed peers, each with `count` listeners on one event name. */
export function peerEmitCases(count: number): Case[] {
  return [eventemitter3Emit(count), nodeEventsEmit(count), mittEmit(count)];
}

/**
 * emittery with the same synchronous listeners, `await emit()` per operation: emittery has no
 * synchronous emit (every emit returns a promise), so it is in the "best emitter" comparison of the
 * 1- and 10-listener scenarios as its users get it.
 */
export function emitteryEmit(count: number): Case {
  return {
    label: 'emittery emit (awaited)',
    library: 'emittery',
    callsPerOp: count,
    setup() {
      const tally = new Tally();
      const emitter = new Emittery<PeerEvents>();
      for (const listener of syncListeners(tally, count)) emitter.on(EVENT_NAME, listener);
      const events = orderPlacedPool();
      return {
        kind: 'async',
        tally,
        async run(ops) {
          for (let i = 0; i < ops; i++) await emitter.emit(EVENT_NAME, events[i & POOL_MASK]!);
        },
      } satisfies AsyncBench;
    },
  };
}
