// One async listener, awaited: what it costs to await a listener's promise. emittery is the peer built
// for async listeners; emitSerial (one listener after another) is what tidings' dispatch does, emit runs
// listeners concurrently.
import Emittery from 'emittery';
import { EventDispatcher } from './tidings.js';
import {
  asyncListeners,
  EVENT_NAME,
  OrderPlaced,
  orderPlacedPool,
  POOL_MASK,
  Tally,
  type PeerEvents,
} from './fixtures.js';
import type { AsyncBench, Case, Scenario } from './harness.js';

const tidings: Case = {
  label: 'tidings dispatch (async listener)',
  library: 'tidings',
  callsPerOp: 1,
  setup() {
    const tally = new Tally();
    const dispatcher = new EventDispatcher();
    for (const listener of asyncListeners(tally, 1)) dispatcher.on(OrderPlaced, listener);
    const events = orderPlacedPool();
    return {
      kind: 'async',
      tally,
      async run(ops) {
        for (let i = 0; i < ops; i++) await dispatcher.dispatch(events[i & POOL_MASK]!);
      },
    } satisfies AsyncBench;
  },
};

function emitteryCase(method: 'emit' | 'emitSerial'): Case {
  return {
    label: `emittery ${method}`,
    library: 'emittery',
    callsPerOp: 1,
    setup() {
      const tally = new Tally();
      const emitter = new Emittery<PeerEvents>();
      for (const listener of asyncListeners(tally, 1)) emitter.on(EVENT_NAME, listener);
      const events = orderPlacedPool();
      // Two loops rather than `emitter[method](...)`, which would add a keyed method lookup to every op.
      return {
        kind: 'async',
        tally,
        run:
          method === 'emit'
            ? async (ops) => {
                for (let i = 0; i < ops; i++) await emitter.emit(EVENT_NAME, events[i & POOL_MASK]!);
              }
            : async (ops) => {
                for (let i = 0; i < ops; i++) await emitter.emitSerial(EVENT_NAME, events[i & POOL_MASK]!);
              },
      } satisfies AsyncBench;
    },
  };
}

export const scenario: Scenario = {
  id: 'async-listener',
  title: '1 async listener, awaited',
  baseline: 'emittery emitSerial',
  primary: 'tidings dispatch (async listener)',
  goals: [{ label: 'tidings dispatch (async listener)', atLeast: 3 }],
  cases: [tidings, emitteryCase('emit'), emitteryCase('emitSerial')],
};
